"""Back to Keras: a TF.js layers model written as a Keras 3 file, checked the other way round
(the Keras file in Keras against the TF.js model in TF.js); what Keras 3 lacks is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.sources.models import Source
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.errors import TfjsBuildError, UnsupportedModelError
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.pipeline import build
from tfjs_build.verification import parity_verifier


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_tfjs_layers_model_back_to_keras(
    tfjs_layers: Source, tmp_path: Path, suffix: str
) -> None:
    import keras

    output = tmp_path / f"fine-tune{suffix}"
    options = ConvertOptions()
    result = build(
        tfjs_layers.path, output, options, verify=parity_verifier(ParityOptions(), options)
    )
    assert (result.format, result.files) == ("keras", (output.name,))
    record = result.parity
    assert record is not None and not record["skipped"] and record["passed"] is True
    assert record["reference"] == "keras"
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]  # no staging left
    assert sorted(p.name for p in tfjs_layers.path.iterdir()) == [MODEL_JSON, "weights.bin"]
    model = keras.saving.load_model(output)
    np.testing.assert_allclose(
        np.asarray(model(tfjs_layers.feed["features"])), tfjs_layers.expected, atol=1e-5
    )


def test_layers_keras_3_lacks_are_refused_by_name(tfjs_layers: Source, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tfjs_layers.path, copy)
    document = json.loads((copy / MODEL_JSON).read_text())
    document["modelTopology"]["config"]["layers"][2]["class_name"] = "TfjsOnly"
    (copy / MODEL_JSON).write_text(json.dumps(document))
    with pytest.raises(UnsupportedModelError, match=r"Keras 3 has no layer bn \(TfjsOnly\)"):
        build(copy, tmp_path / "out.keras")
    assert not (tmp_path / "out.keras").exists()


def test_only_tfjs_layers_models_become_keras_files(frozen_mlp: Source, tmp_path: Path) -> None:
    with pytest.raises(TfjsBuildError, match="a Keras file is written from a TF.js layers model"):
        build(frozen_mlp.path, tmp_path / "out.keras", ConvertOptions(output_nodes=("probs",)))


def test_a_project_model_cannot_write_a_keras_file(tmp_path: Path) -> None:
    from tfjs_build.errors import ConfigError
    from tfjs_build.project.config import parse_config

    table = {"models": [{"source": "web/model.json", "output": "back/model.keras"}]}
    with pytest.raises(ConfigError, match="a Keras file; the project builds TF.js artifact"):
        parse_config(table, tmp_path)
