"""``tfjs-build inspect`` on sources (Keras files without TensorFlow, SavedModels) and
``--weights`` on artifacts and sources: the exact lines and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.runtime.handmade import dense_layers_model
from tfjs_build.artifact import QuantizationPlan, write_artifact
from tfjs_build.cli import main

MAKE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np, keras, tensorflow as tf
    out = Path(sys.argv[1])
    inp = keras.Input((5, 3), name="seq")
    head = keras.layers.Dense(2, name="head")(keras.layers.GRU(4, name="gru")(inp))
    keras.Model(inp, head, name="grumodel").save(out / "gru.h5")
    class Inverse(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3, 3], tf.float32, name="m")])
        def serve(self, m):
            return {"inverse": tf.linalg.inv(m)}
    module = Inverse()
    tf.saved_model.save(module, str(out / "inverse"), signatures={"serving_default": module.serve})
    """
)


@pytest.fixture(scope="module")
def sources(model_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``model_files`` plus a Keras model TF.js layers cannot express and a SavedModel using an
    op TF.js lacks."""
    out = tmp_path_factory.mktemp("inspect-sources")
    subprocess.run([sys.executable, "-c", MAKE, str(out)], check=True, capture_output=True)
    for name in ("dense.keras", "conv.h5", "scorer"):
        (out / name).symlink_to(model_files / name)
    return out


def _inspect(*args: str) -> subprocess.CompletedProcess[str]:
    """``inspect`` in a fresh interpreter that reports whether TensorFlow was imported."""
    code = (
        "import sys\nfrom tfjs_build.cli import main\ncode = main(sys.argv[1:])\n"
        "print('TENSORFLOW', 'tensorflow' in sys.modules)\nsys.exit(code)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "inspect", *args], capture_output=True, text=True, check=False
    )


def test_a_keras_file_is_described_without_tensorflow(sources):
    result = _inspect(str(sources / "dense.keras"), "--weights")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{sources / 'dense.keras'}: Keras .keras archive",
        f"  made by:      Keras {_keras_version()} (tensorflow backend)",
        "  model:        Sequential sequential",
        "  input:        input_layer [None, 4] float32",
        "  output:       dense_1 [None, 2] float32",
        "  layers:       3 (Dense x2, InputLayer x1)",
        "  auto format:  layers (TF.js layers can express every layer)",
        "  weights:      4 tensors, 23 values",
        "  weight:       dense/kernel [4, 3] float32",
        "  weight:       dense/bias [3] float32",
        "  weight:       dense_1/kernel [3, 2] float32",
        "  weight:       dense_1/bias [2] float32",
        "TENSORFLOW False",
    ]


def _keras_version() -> str:
    import keras

    return str(keras.__version__)


def test_a_keras_file_tfjs_layers_cannot_express(sources):
    result = _inspect(str(sources / "gru.h5"), "--weights")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1:] == [
        f"  made by:      Keras {_keras_version()} (tensorflow backend)",
        "  model:        Functional grumodel",
        "  input:        seq [None, 5, 3] float32",
        "  output:       head [None, 2] float32",
        "  layers:       3 (Dense x1, GRU x1, InputLayer x1)",
        "  auto format:  graph (TF.js layers cannot express gru (GRU))",
        "  TF.js layers cannot express: gru (GRU): reset_after=True (TF.js GRU has only "
        "reset_after=False; use a graph model)",
        "  weights:      a graph model names its weights after the converted graph; convert it "
        "and run `tfjs-build inspect --weights` on the artifact",
        "TENSORFLOW False",
    ]
    assert lines[0] == f"{sources / 'gru.h5'}: Keras HDF5 file"


def test_keras_json(sources, capsys):
    assert main(["inspect", "--json", str(sources / "conv.h5")]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["source"] == "Keras HDF5 file"
    assert described["inputs"] == [
        {"name": "input_layer_1", "shape": [None, 8, 2], "dtype": "float32"}
    ]
    assert described["outputs"] == [{"name": "dense_2", "shape": [None, 1], "dtype": "float32"}]
    assert described["layers"] == {"Conv1D": 1, "Dense": 1, "Flatten": 1, "InputLayer": 1}
    assert (described["autoFormat"], described["cannotExpress"]) == ("layers", [])
    assert (described["weights"], described["parameters"]) == (4, 2 * 3 * 4 + 4 + 24 + 1)
    assert "weightList" not in described


def test_a_saved_model_and_its_weights(sources, capsys):
    assert main(["inspect", "--weights", str(sources / "scorer")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{sources / 'scorer'}: TensorFlow SavedModel",
        "  made by:      TensorFlow",
        "  signature:    serving_default [serve]",
        "  input:        x [None, 3] float32",
        "  output:       y [None, 2] float32",
        "  auto format:  graph (SavedModel sources become graph models)",
        "  weights:      1 tensors, 6 values",
        "  weight:       StatefulPartitionedCall/MatMul/ReadVariableOp [3, 2] float32",
    ]


def test_a_saved_model_with_an_op_tfjs_cannot_run(sources, capsys):
    assert main(["inspect", "--json", str(sources / "inverse")]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["inputs"] == [{"name": "m", "shape": [None, 3, 3], "dtype": "float32"}]
    assert described["cannotExpress"] == [
        "TF.js 4.22.0 cannot run 1 op(s): MatrixInverse (node PartitionedCall/MatrixInverse); "
        "change the model, or convert anyway with --no-check-ops"
    ]
    assert "weights" not in described


def test_inspect_refuses_a_hostile_source(sources, tmp_path, capsys):
    target = tmp_path / "hostile.h5"
    target.write_bytes((sources / "conv.h5").read_bytes())
    with h5py.File(target, "r+") as h5:
        h5["model_weights/elsewhere"] = h5py.ExternalLink(str(tmp_path / "outside.h5"), "/")
    assert main(["inspect", str(target)]) == 1
    assert capsys.readouterr().err == (
        f"tfjs-build: error: {target}: /model_weights/elsewhere is an external link to "
        f"'{tmp_path / 'outside.h5'}':/; tfjs-build reads nothing outside the model file, so it "
        "refuses this file (re-save the model with Keras)\n"
    )


def test_artifact_weights_text_and_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    write_artifact(
        dense_layers_model(rng.standard_normal((5, 3)).astype("float32"), np.zeros(3, "float32")),
        tmp_path / "m",
        quantization=QuantizationPlan("uint8", exclude=("*/bias",)),
    )
    assert main(["inspect", "--weights", str(tmp_path / "m")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[lines.index("  weights:      2 tensors, 18 values") + 1 :][:2] == [
        "  weight:       dense/kernel [5, 3] float32 (quantized uint8)",
        "  weight:       dense/bias [3] float32",
    ]
    assert main(["inspect", "--json", "--weights", str(tmp_path / "m")]) == 0
    assert json.loads(capsys.readouterr().out)["weightList"] == [
        {"name": "dense/kernel", "shape": [5, 3], "dtype": "float32", "quantization": "uint8"},
        {"name": "dense/bias", "shape": [3], "dtype": "float32", "quantization": None},
    ]
