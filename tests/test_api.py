"""The Python API on models in memory (Keras 3, tf_keras, tf.Module, tf.function) and on paths,
checked in real TF.js."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tfjs_build
from tests.tutorial_js import predict_in_tfjs

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype="float32")
CPU = {"parity_backends": ["cpu"]}


def _keras3_model() -> Any:
    import keras

    keras.utils.set_random_seed(4)
    inputs = keras.Input((3,), name="features")
    hidden = keras.layers.Dense(5, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="logits")(hidden))


def _tf_keras_model() -> Any:
    import tf_keras

    tf_keras.utils.set_random_seed(5)
    return tf_keras.Sequential(
        [
            tf_keras.Input((3,)),
            tf_keras.layers.Dense(4, activation="relu"),
            tf_keras.layers.Dense(2),
        ]
    )


def _module() -> Any:
    import tensorflow as tf

    class Scaled(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(np.arange(6, dtype="float32").reshape(3, 2) / 4)

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            return tf.nn.sigmoid(tf.matmul(x, self.w))

    return Scaled()


def _passed(result: tfjs_build.BuildResult) -> bool:
    return bool(dict(result.parity or {}).get("passed"))


def _assert_predicts(output: Path, expected: np.ndarray) -> None:
    got = predict_in_tfjs(output, {"x": X})
    assert got["error"] is None, got["error"]
    np.testing.assert_allclose(got["dataSync"], expected.reshape(-1), rtol=1e-5, atol=1e-6)


def test_a_keras3_model_in_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _keras3_model()
    result = tfjs_build.convert(model, tmp_path / "k3", **CPU)
    assert isinstance(result, tfjs_build.BuildResult)
    assert (result.format, result.output, result.shards) == ("layers", tmp_path / "k3", 1)
    assert _passed(result)
    _assert_predicts(tmp_path / "k3", np.asarray(model(X)))
    assert capsys.readouterr().out == ""


def test_a_tf_keras_model_in_memory_as_a_graph_model(tmp_path: Path) -> None:
    model = _tf_keras_model()
    result = tfjs_build.convert(model, tmp_path / "tk", format="graph", **CPU)
    assert result.format == "graph" and _passed(result)
    _assert_predicts(tmp_path / "tk", np.asarray(model(X)))
    report = tfjs_build.verify(tmp_path / "tk", model, parity_backends=["wasm"])
    assert report.passed and [r.backend for r in report.results] == ["wasm"]


def test_a_tf_module_and_a_tf_function(tmp_path: Path) -> None:
    module = _module()
    expected = module(X).numpy()
    result = tfjs_build.convert(module, tmp_path / "module", **CPU)
    assert result.format == "graph" and result.reason == "SavedModel sources become graph models"
    _assert_predicts(tmp_path / "module", expected)  # one output: predict() gives a Tensor
    result = tfjs_build.convert(module.__call__, tmp_path / "function", parity=False)
    assert dict(result.parity or {}).get("skipped") is True
    _assert_predicts(tmp_path / "function", expected)


def test_a_path_with_options_by_their_configuration_names(
    tmp_path: Path, model_files: Path
) -> None:
    result = tfjs_build.convert(
        str(model_files / "dense.keras"),
        tmp_path / "dense",
        quantization={"uint8": ["*/kernel"]},
        structured_outputs=True,
        **CPU,
    )
    assert _passed(result)
    summary = tfjs_build.inspect(tmp_path / "dense")
    assert isinstance(summary, tfjs_build.ArtifactSummary)
    assert dict(summary.quantization) == {"uint8": 2, "none": 2}
    source = tfjs_build.inspect(model_files / "dense.keras")
    assert isinstance(source, tfjs_build.SourceSummary) and source.auto_format == "layers"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"quantisation": "uint8"}, "ConfigError", "convert() got unknown option 'quantisation'; did you mean 'quantization'?"),
        ({"shard_size": 0}, "ConfigError", "shard_size = 0: expected a whole number >= 1"),
        ({"output_root": "x"}, "ConfigError", "convert() got unknown option 'output_root'"),
    ],
)  # fmt: skip
def test_bad_options_raise_the_package_errors_before_anything_runs(
    tmp_path: Path, model_files: Path, options: dict[str, Any], error: str, message: str
) -> None:
    with pytest.raises(getattr(tfjs_build, error)) as caught:
        tfjs_build.convert(model_files / "dense.keras", tmp_path / "o", **options)
    assert str(caught.value).startswith(message)
    assert not (tmp_path / "o").exists()


def test_what_cannot_be_converted_is_a_source_error(tmp_path: Path) -> None:
    import tensorflow as tf

    with pytest.raises(tfjs_build.SourceError, match="cannot convert a builtins.dict"):
        tfjs_build.convert({}, tmp_path / "o")
    with pytest.raises(
        tfjs_build.SourceError, match="a tf.function to convert needs an input_signature"
    ):
        tfjs_build.convert(tf.function(lambda x: x), tmp_path / "o")


def test_importing_the_package_stays_light() -> None:
    probe = (
        "import sys, tfjs_build; heavy = {'numpy', 'tensorflow', 'keras', 'h5py'} & set(sys.modules);"
        "print(sorted(heavy), tfjs_build.__all__ == sorted(tfjs_build.__all__))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] True"
    assert set(tfjs_build.__all__) == {*tfjs_build._EXPORTS, "__version__"}
