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


def test_lambda_layers_make_a_graph_model_and_run_no_code(tmp_path: Path) -> None:
    import numpy as np
    import tf_keras

    from tfjs_build.errors import UnsupportedModelError
    from tfjs_build.parity.reference import run_reference

    inputs = tf_keras.Input((3,), name="x")
    doubled = tf_keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="y")(doubled)).save(
        str(tmp_path / "lam"), save_format="tf"
    )
    conversion = convert_source(tmp_path / "lam")
    assert conversion.format == "graph"
    assert conversion.reason == "TF.js layers cannot express double (Lambda)"
    feed = {"x": np.ones((1, 3), "float32")}
    with pytest.raises(UnsupportedModelError, match="'double' hold Python code that loading"):
        run_reference(tmp_path / "lam", feed, ["y"], graph=False)
    assert run_reference(tmp_path / "lam", feed, ["y"], graph=True).description == (
        "saved_model:serving_default"
    )


def test_recurrent_layers_and_a_nested_model_take_their_weights_in_order(tmp_path: Path) -> None:
    import tf_keras

    from tests.layers.expansion_models import randomize

    sequence = tf_keras.Input((5, 3), name="seq")
    x = tf_keras.layers.LSTM(4, return_sequences=True)(sequence)
    inner_in = tf_keras.Input((5, 4))
    gru = tf_keras.layers.GRU(2, reset_after=False)(tf_keras.layers.Dense(3)(inner_in))
    inner = tf_keras.Model(inner_in, gru, name="inner")
    model = tf_keras.Model(sequence, tf_keras.layers.Dense(2, name="out")(inner(x)))
    randomize(model)
    model.save(str(tmp_path / "rnn"), save_format="tf")
    result = build_checked(tmp_path / "rnn", tmp_path / "web", ConvertOptions(), 1e-5)
    assert result.format == "layers"
    artifact = convert_source(tmp_path / "rnn").artifact
    assert [name for name, _ in artifact.weights][:5] == [
        "lstm/kernel",
        "lstm/recurrent_kernel",
        "lstm/bias",
        "dense/kernel",
        "dense/bias",
    ]
