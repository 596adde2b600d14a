"""The reference run: each source kind in its own Keras / TensorFlow, outputs named like the
artifact's, Lambda code refused unless the user opts in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfjs_build.errors import SourceError, TfjsBuildError
from tfjs_build.parity.reference import run_reference, source_kind

X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import keras
    import tensorflow as tf
    import tf_keras

    root = tmp_path_factory.mktemp("sources")
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="x")
    k3 = keras.Model(
        inp, [keras.layers.Dense(3, name="a")(inp), keras.layers.Dense(2, name="b")(inp)]
    )
    k3.save(root / "k3.keras")
    k3.save(root / "k3.h5")
    tinp = tf_keras.Input((4,), name="x")
    tf_keras.Model(tinp, tf_keras.layers.Dense(3, name="a")(tinp)).save(root / "k2.h5")
    lam = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2.0, name="double")(inp))
    lam.save(root / "lambda.keras")

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def serve(self, x):
            return {"twice": 2.0 * x, "total": tf.reduce_sum(x, axis=1)}

    module = Doubler()
    tf.saved_model.save(
        module,
        str(root / "saved"),
        signatures={"serving_default": module.serve, "other": module.serve},
    )
    return root


def test_source_kinds(sources: Path, tmp_path: Path) -> None:
    assert source_kind(sources / "k3.keras") == "keras3"
    assert source_kind(sources / "k3.h5") == "keras3"
    assert source_kind(sources / "k2.h5") == "tf_keras"
    assert source_kind(sources / "saved") == "saved_model"
    with pytest.raises(SourceError, match="no such file"):
        source_kind(tmp_path / "missing.h5")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(SourceError, match="unknown model kind"):
        source_kind(tmp_path / "model.onnx")


@pytest.mark.parametrize("name", ["k3.keras", "k3.h5"])
def test_keras3_outputs_are_named_like_the_artifact(sources: Path, name: str) -> None:
    import keras

    result = run_reference(sources / name, {"x": X}, ["a", "b"], graph=False)
    assert result.description == "keras" and list(result.outputs) == ["a", "b"]
    expected = keras.saving.load_model(sources / "k3.keras")(X)
    np.testing.assert_allclose(result.outputs["a"], np.asarray(expected[0]), rtol=1e-6)
    assert result.outputs["b"].shape == (2, 2)


def test_positional_names_when_the_source_names_outputs_otherwise(sources: Path) -> None:
    result = run_reference(sources / "k2.h5", {"x": X}, ["output_0"], graph=True)
    assert result.description == "tf_keras" and list(result.outputs) == ["output_0"]
    with pytest.raises(
        SourceError, match=r"the source has 2 output\(s\) \(a, b\) but the artifact has 1"
    ):
        run_reference(sources / "k3.keras", {"x": X}, ["a"], graph=False)


def test_saved_model_runs_the_signature_by_key(sources: Path) -> None:
    result = run_reference(sources / "saved", {"x": X}, ["total", "twice"], graph=True)
    assert result.description == "saved_model:serving_default"
    assert list(result.outputs) == ["total", "twice"]
    np.testing.assert_allclose(result.outputs["twice"], 2 * X)
    other = run_reference(
        sources / "saved", {"x": X}, ["total", "twice"], graph=True, signature="other"
    )
    assert other.description == "saved_model:other"
    with pytest.raises(
        SourceError, match=r"no signature 'serve' \(signatures: other, serving_default\)"
    ):
        run_reference(sources / "saved", {"x": X}, ["twice"], graph=True, signature="serve")
    with pytest.raises(SourceError, match="takes inputs x but the artifact has y"):
        run_reference(sources / "saved", {"y": X}, ["twice"], graph=True)


def test_lambda_code_runs_only_with_the_opt_in(sources: Path) -> None:
    with pytest.raises(TfjsBuildError, match="Lambda layer"):
        run_reference(sources / "lambda.keras", {"x": X}, ["double"], graph=True)
    result = run_reference(
        sources / "lambda.keras",
        {"x": X},
        ["double"],
        graph=True,
        allow_unsafe_deserialization=True,
    )
    np.testing.assert_allclose(result.outputs["double"], 2 * X)


def test_a_source_rejecting_the_inputs_is_a_clear_error(sources: Path) -> None:
    wrong = np.zeros((2, 5), np.float32)
    with pytest.raises(SourceError, match="failed on the parity inputs") as caught:
        run_reference(sources / "k3.keras", {"x": wrong}, ["a", "b"], graph=False)
    assert str(caught.value).endswith("pass your own samples") and "\n" not in str(caught.value)
