"""Localizing a layers model's divergence in real TF.js against real Keras 3 and tf_keras sources:
the first layer that goes wrong, whether the error is its own, and its cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.parity.handmade import write_layers_artifact
from tfjs_build.artifact import quantization_plan, read_artifact, write_artifact
from tfjs_build.convert import convert_source
from tfjs_build.parity import check_parity


def _with_weight(artifact_dir: Path, target: Path, name: str, factor: float) -> Path:
    """A copy of ``artifact_dir`` whose weight ``name`` is multiplied by ``factor``."""
    artifact = read_artifact(artifact_dir)
    artifact.weights = [(n, w * factor if n == name else w) for n, w in artifact.weights]
    write_artifact(artifact, target)
    return target


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 CNN (conv2d, conv2d_1, normalize, flatten, logits) with a named input in a
    list (the structure Keras warned about), converted to ``good/``; ``bad/`` has conv2d_1's
    kernel scaled; ``uint8/`` stores normalize's weights as uint8 and its variances span
    0.001..100, so the small ones are lost."""
    import keras

    keras.utils.set_random_seed(0)
    image = keras.Input((8, 8, 3), name="image")
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv2d")(image)
    h = keras.layers.Conv2D(6, 3, activation="relu", name="conv2d_1")(h)
    h = keras.layers.BatchNormalization(name="normalize")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    model = keras.Model([image], keras.layers.Dense(3, name="logits")(h))
    norm = model.get_layer("normalize")
    norm.moving_variance.assign(np.geomspace(1e-3, 100.0, 6).astype("float32"))
    norm.moving_mean.assign(np.full(6, 0.1, "float32"))
    root = tmp_path_factory.mktemp("cnn")
    model.save(root / "cnn.keras")
    artifact = convert_source(root / "cnn.keras").artifact
    write_artifact(artifact, root / "good")
    plan = quantization_plan("uint8", include=("normalize/*",))
    write_artifact(artifact, root / "uint8", quantization=plan)
    _with_weight(root / "good", root / "bad", "conv2d_1/kernel", 1.5)
    return root


def test_a_corrupted_kernel_is_named_on_the_failure_line(cnn: Path, runtimes) -> None:
    report = check_parity(cnn / "bad", cnn / "cnn.keras", backends=("cpu",), runtimes=runtimes)
    message = report.failure_message()
    assert message is not None
    assert "first diverges at layer 'conv2d_1' (Conv2D)" in message
    assert "its own error: the kernel differs from the source's" in message
    divergence = report.record["backends"][0]["divergence"]
    assert (divergence["name"], divergence["own_error"]) == ("conv2d_1", True)
    assert [c["weight"] for c in divergence["causes"]] == ["conv2d_1/kernel"]
    assert divergence["causes"][0]["kind"] == "weight_differs"
    assert [s["name"] for s in divergence["steps"]] == [
        "conv2d",
        "conv2d_1",
        "normalize",
        "flatten",
        "logits",
    ]
    assert [s["passed"] for s in divergence["steps"]] == [True, False, False, False, False]
    assert divergence["inputs_max_abs_error"] < 1e-5  # conv2d's output matches
    assert report.results[0].divergence.differing_weights == ("conv2d_1/kernel",)


def test_uint8_quantization_of_a_batch_norm_names_the_layer_and_the_weight(
    cnn: Path, runtimes
) -> None:
    report = check_parity(cnn / "uint8", cnn / "cnn.keras", backends=("cpu",), runtimes=runtimes)
    message = report.failure_message()
    assert message is not None
    assert "first diverges at layer 'normalize' (BatchNormalization)" in message
    assert "uint8 quantization of normalize/moving_variance" in message
    divergence = report.results[0].divergence
    assert divergence is not None
    assert divergence.quantized_weights == ("normalize/moving_variance",)
    assert divergence.differing_weights == ()


def _jobs(runtimes) -> int:
    runtimes.get("cpu").start()
    return int(runtimes.get("cpu").worker.jobs)


def test_a_passing_model_reports_nothing_unless_asked(cnn: Path, runtimes) -> None:
    before = _jobs(runtimes)
    quiet = check_parity(cnn / "good", cnn / "cnn.keras", backends=("cpu",), runtimes=runtimes)
    assert _jobs(runtimes) == before + 1  # no TF.js pass beyond the check's own
    assert quiet.passed and quiet.results[0].divergence is None
    assert "divergence" not in quiet.record["backends"][0]
    assert "diverge" not in quiet.summary() and "within the tolerance" not in quiet.summary()
    asked = check_parity(
        cnn / "good", cnn / "cnn.keras", backends=("cpu",), runtimes=runtimes, explain="always"
    )
    assert _jobs(runtimes) == before + 3  # one more pass: every layer's output at once
    divergence = asked.record["backends"][0]["divergence"]
    assert asked.passed and divergence["name"] is None and divergence["causes"] == []
    assert len(divergence["steps"]) == 5 and all(s["passed"] for s in divergence["steps"])
    assert max(s["max_abs_error"] for s in divergence["steps"]) < 1e-5
    assert "[cpu] every layer's output is within the tolerance" in asked.summary()


def test_the_reference_feeds_inputs_in_the_structure_the_model_expects(cnn: Path) -> None:
    import warnings

    from tfjs_build.parity.reference import run_reference

    probe = {"image": np.zeros((2, 8, 8, 3), "float32")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warned "The structure of `inputs` doesn't match"
        result = run_reference(cnn / "cnn.keras", probe, ["logits"], graph=False)
    assert result.outputs["logits"].shape == (2, 3)


@pytest.fixture(scope="module")
def tf_keras_mlp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tf_keras MLP in an ``.h5``, converted to ``good/``; ``bad/`` has hidden_2's kernel
    negated (a middle layer)."""
    import tf_keras as K

    K.utils.set_random_seed(2)
    features = K.Input((6,), name="features")
    h = K.layers.Dense(8, activation="tanh", name="hidden_1")(features)
    h = K.layers.Dense(8, activation="tanh", name="hidden_2")(h)
    h = K.layers.Dense(8, activation="tanh", name="hidden_3")(h)
    model = K.Model(features, K.layers.Dense(2, name="scores")(h))
    root = tmp_path_factory.mktemp("tf_keras")
    model.save(root / "mlp.h5")
    write_artifact(convert_source(root / "mlp.h5").artifact, root / "good")
    _with_weight(root / "good", root / "bad", "hidden_2/kernel", -1.0)
    return root


def test_a_tf_keras_source_names_its_corrupted_middle_layer(tf_keras_mlp: Path, runtimes) -> None:
    report = check_parity(
        tf_keras_mlp / "bad", tf_keras_mlp / "mlp.h5", backends=("wasm",), runtimes=runtimes
    )
    assert report.record["reference"] == "tf_keras"
    message = report.failure_message() or ""
    assert "first diverges at layer 'hidden_2' (Dense)" in message
    assert "the kernel differs from the source's" in message
    steps = report.record["backends"][0]["divergence"]["steps"]
    assert [s["passed"] for s in steps] == [True, False, False, False]


@pytest.fixture(scope="module")
def bilinear(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tf_keras model whose middle layer resizes bilinearly, written as another converter
    would (this project's refuses it): TF.js resizes without half-pixel centers."""
    import tf_keras as K

    K.utils.set_random_seed(3)
    image = K.Input((4, 4, 2), name="image")
    h = K.layers.Conv2D(3, 1, name="mix")(image)
    h = K.layers.UpSampling2D(2, interpolation="bilinear", name="resize")(h)
    h = K.layers.Conv2D(2, 1, name="project")(h)
    model = K.Model(image, K.layers.GlobalAveragePooling2D(name="pool")(h))
    root = tmp_path_factory.mktemp("bilinear")
    model.save(root / "resize.h5")
    write_layers_artifact(model, root / "artifact")
    return root


def test_a_layer_tfjs_computes_differently_is_its_own_error(bilinear: Path, runtimes) -> None:
    report = check_parity(
        bilinear / "artifact", bilinear / "resize.h5", backends=("cpu",), runtimes=runtimes
    )
    message = report.failure_message() or ""
    assert "first diverges at layer 'resize' (UpSampling2D)" in message, message
    assert "its own error: TF.js computes UpSampling2D differently from the source" in message
    divergence = report.record["backends"][0]["divergence"]
    assert [c["kind"] for c in divergence["causes"]] == ["kernel"]
    assert divergence["own_error"] is True and divergence["own_max_abs_error"] > 1e-3


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 model with a nested Sequential ``block`` (layers ``a``, ``b``) and a layer
    ``shared`` called twice, converted to ``good/``; ``bad_b/`` and ``bad_head/`` have b's or
    head's kernel negated."""
    import keras

    keras.utils.set_random_seed(5)
    features = keras.Input((5,), name="features")
    h = keras.layers.Dense(6, activation="tanh", name="pre")(features)
    block = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(6, activation="tanh", name="a"),
            keras.layers.Dense(6, activation="tanh", name="b"),
        ],
        name="block",
    )
    shared = keras.layers.Dense(6, activation="tanh", name="shared")
    h = shared(shared(block(h)))
    model = keras.Model(features, keras.layers.Dense(2, name="head")(h))
    root = tmp_path_factory.mktemp("nested")
    model.save(root / "nested.keras")
    write_artifact(convert_source(root / "nested.keras").artifact, root / "good")
    _with_weight(root / "good", root / "bad_b", "b/kernel", -1.0)
    _with_weight(root / "good", root / "bad_head", "head/kernel", -1.0)
    return root


def test_a_layer_inside_a_nested_model_is_named_by_its_path(nested: Path, runtimes) -> None:
    report = check_parity(
        nested / "bad_b", nested / "nested.keras", backends=("cpu",), runtimes=runtimes
    )
    message = report.failure_message() or ""
    assert "first diverges at layer 'block/b' (Dense)" in message, message
    assert "the kernel differs from the source's" in message
    steps = report.record["backends"][0]["divergence"]["steps"]
    assert [(s["name"], s["passed"]) for s in steps] == [
        ("pre", True),
        ("block", False),
        ("block/a", True),
        ("block/b", False),
        ("shared", False),
        ("shared@1", False),
        ("head", False),
    ]


def test_a_shared_layers_calls_are_compared_each(nested: Path, runtimes) -> None:
    report = check_parity(
        nested / "bad_head", nested / "nested.keras", backends=("cpu",), runtimes=runtimes
    )
    assert "first diverges at layer 'head' (Dense)" in (report.failure_message() or "")
    steps = report.record["backends"][0]["divergence"]["steps"]
    assert [(s["name"], s["passed"]) for s in steps] == [
        ("pre", True),
        ("block", True),
        ("shared", True),
        ("shared@1", True),
        ("head", False),
    ]
