"""Parity on artifacts made by the project's converters (layers and graph), in real TF.js."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.artifact import quantization_plan, read_model_json, write_artifact
from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity import check_parity, default_tolerance
from tfjs_build.parity.model_io import input_specs


@pytest.fixture(scope="module")
def keras3_cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Keras 3 CNN (``cnn.keras``) and its layers artifacts ``float32/`` and ``uint8/``."""
    import keras

    from tfjs_build.layers import convert_keras_to_layers

    keras.utils.set_random_seed(3)
    image = keras.Input((16, 16, 3), name="image")
    h = keras.layers.Conv2D(8, 3, activation="relu")(image)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.DepthwiseConv2D(3, padding="same")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(image, keras.layers.Dense(4, activation="softmax", name="probs")(h))
    root = tmp_path_factory.mktemp("cnn")
    model.save(root / "cnn.keras")
    artifact = convert_keras_to_layers(root / "cnn.keras")
    write_artifact(artifact, root / "float32")
    write_artifact(artifact, root / "uint8", quantization=quantization_plan("uint8"))
    return root


def test_keras3_layers_model_passes(keras3_cnn: Path) -> None:
    report = check_parity(keras3_cnn / "float32", keras3_cnn / "cnn.keras")
    assert report.passed, report.summary()
    assert report.record["reference"] == "keras"
    assert [o["name"] for b in report.record["backends"] for o in b["outputs"]] == ["probs"] * 2


def test_converted_uint8_passes_its_default_and_fails_float32s(keras3_cnn: Path) -> None:
    quantized = keras3_cnn / "uint8"
    assert check_parity(quantized, keras3_cnn / "cnn.keras", backends=("wasm",)).passed
    strict = check_parity(
        quantized, keras3_cnn / "cnn.keras", backends=("wasm",), tolerance=default_tolerance(None)
    )
    assert not strict.passed
    assert "parity failed on TF.js wasm for output probs" in (strict.failure_message() or "")


def test_graph_model_from_a_saved_model_passes(saved_model: Path) -> None:
    ids = {spec.name: spec for spec in input_specs(read_model_json(saved_model / "graph"))}["ids"]
    assert (ids.name, ids.dtype, ids.int_high) == ("ids", "int32", 7)  # seen through the Gather
    report = check_parity(saved_model / "graph", saved_model / "model")
    assert report.passed, report.summary()
    assert report.record["format"] == "graph-model"
    assert report.record["reference"] == "saved_model:serving_default"
    names = {o["name"] for b in report.record["backends"] for o in b["outputs"]}
    assert names == {"scores", "norm"}


def test_keras_lambda_graph_model_needs_the_opt_in(tmp_path: Path) -> None:
    import keras

    from tfjs_build.graph import convert_keras_to_graph

    x = keras.Input((3,), name="x")
    y = keras.layers.Dense(2, name="dense")(keras.layers.Lambda(lambda t: t * t, name="sq")(x))
    keras.Model(x, y).save(tmp_path / "lambda.keras")
    artifact = convert_keras_to_graph(tmp_path / "lambda.keras", allow_unsafe_deserialization=True)
    write_artifact(artifact, tmp_path / "graph")
    with pytest.raises(TfjsBuildError, match="Lambda layer"):
        check_parity(tmp_path / "graph", tmp_path / "lambda.keras")
    report = check_parity(
        tmp_path / "graph", tmp_path / "lambda.keras", allow_unsafe_deserialization=True
    )
    assert report.passed, report.summary()


def test_keras3_embedding_model_with_dict_inputs_and_two_outputs(tmp_path: Path) -> None:
    """Integer probes must stay below the Embedding's 5 rows (TensorFlow rejects larger ids)."""
    import keras

    from tfjs_build.layers import convert_keras_to_layers

    keras.utils.set_random_seed(5)
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    extra = keras.Input((3,), name="extra")
    encoded = keras.layers.LSTM(4)(keras.layers.Embedding(5, 4)(tokens))
    joined = keras.layers.Concatenate()([encoded, extra])
    model = keras.Model(
        {"tokens": tokens, "extra": extra},
        [keras.layers.Dense(2, name="score")(joined), keras.layers.Dense(3, name="tag")(joined)],
    )
    model.save(tmp_path / "text.keras")
    write_artifact(convert_keras_to_layers(tmp_path / "text.keras"), tmp_path / "layers")
    specs = {spec.name: spec for spec in input_specs(read_model_json(tmp_path / "layers"))}
    assert specs["tokens"].int_high == 5 and specs["extra"].int_high is None
    report = check_parity(tmp_path / "layers", tmp_path / "text.keras")
    assert report.passed, report.summary()
    outputs = [o["name"] for o in report.record["backends"][0]["outputs"]]
    assert outputs == ["score", "tag"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["layers", "graph"])
def test_mobilenet_v2_passes_in_both_formats(tmp_path: Path, fmt: str) -> None:
    import keras

    from tfjs_build.graph import convert_keras_to_graph
    from tfjs_build.layers import convert_keras_to_layers

    convert = convert_keras_to_layers if fmt == "layers" else convert_keras_to_graph
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
    model.save(tmp_path / "mobilenet_v2.keras")
    write_artifact(convert(tmp_path / "mobilenet_v2.keras"), tmp_path / fmt)
    report = check_parity(tmp_path / fmt, tmp_path / "mobilenet_v2.keras")
    assert report.passed, report.summary()
    assert report.record["format"] == f"{fmt}-model"
