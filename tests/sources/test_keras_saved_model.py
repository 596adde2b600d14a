"""Keras SavedModels (tf_keras ``model.save(dir)``): a layers model by default, read from
``keras_metadata.pb`` and the checkpoint without running the model, a graph model on request;
both checked in real TF.js against the model tf_keras loads back (or the signature)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sources.checks import assert_reference_is_the_model, build_checked
from tests.sources.models import Source
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.convert import convert_source
from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions
from tfjs_build.parity.model_io import output_names
from tfjs_build.source_summary import summarize_source
from tfjs_build.sources import identify_source


def test_a_keras_saved_model_is_its_own_kind(keras_saved_mlp: Source) -> None:
    assert identify_source(keras_saved_mlp.path) == "keras_saved_model"


@pytest.mark.parametrize("name", ["keras_saved_mlp", "keras_saved_cnn"])
def test_auto_makes_a_layers_model_that_matches_tf_keras(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source: Source = request.getfixturevalue(name)
    result = build_checked(source.path, tmp_path / "web", ConvertOptions())
    assert (result.format, result.reason) == ("layers", "TF.js layers can express every layer")
    model = json.loads((tmp_path / "web" / MODEL_JSON).read_text())
    assert model["format"] == "layers-model"
    assert json.loads((tmp_path / "web" / "parity.json").read_text())["reference"] == "tf_keras"
    (output,) = output_names(model, "model.json")
    assert assert_reference_is_the_model(source, output, graph=False) == "tf_keras"


def test_batch_norm_statistics_come_from_the_checkpoint(keras_saved_cnn: Source) -> None:
    artifact = convert_source(keras_saved_cnn.path, ConvertOptions(format="layers")).artifact
    names = [name for name, _ in artifact.weights]
    assert "bn2/moving_mean" in names and "bn2/moving_variance" in names
    variance = dict(artifact.weights)["bn2/moving_variance"]
    assert variance.shape == (4,) and float(variance.min()) >= 0.5  # randomized, not ones


def test_graph_on_request(keras_saved_cnn: Source, tmp_path: Path) -> None:
    result = build_checked(keras_saved_cnn.path, tmp_path / "web", ConvertOptions(format="graph"))
    assert (result.format, result.reason) == ("graph", "graph format requested")
    assert json.loads((tmp_path / "web" / "parity.json").read_text())["reference"] == (
        "saved_model:serving_default"
    )


def test_inspect_describes_its_keras_model(keras_saved_mlp: Source) -> None:
    summary = summarize_source(keras_saved_mlp.path)
    assert (summary.kind, summary.auto_format) == ("Keras SavedModel", "layers")
    assert summary.made_by.startswith("Keras 2.")
    assert summary.layers == {"Dense": 2, "InputLayer": 1}
    assert [(i.name, i.shape) for i in summary.inputs] == [("features", (None, 6))]
    assert summary.weight_list is not None
    assert [w.name for w in summary.weight_list] == [
        "dense/kernel",
        "dense/bias",
        "probs/kernel",
        "probs/bias",
    ]


def test_damaged_metadata_is_one_line_naming_the_file(
    keras_saved_mlp: Source, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(keras_saved_mlp.path, copy)
    (copy / "keras_metadata.pb").write_bytes(b"\x0a\xff\xff\xff\x0f broken")
    with pytest.raises(SourceError) as caught:
        convert_source(copy)
    message = str(caught.value)
    assert message.startswith(f"{copy / 'keras_metadata.pb'}: damaged Keras metadata (")
    assert "\n" not in message and message.endswith("save the model again")
