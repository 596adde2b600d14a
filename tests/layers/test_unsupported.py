"""Models TF.js layers cannot express fail at conversion with one error naming every offending
layer; ``find_unsupported_layers`` lists the same layers without converting."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.layers.conftest import keras_flavor
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.layers import UnsupportedLayer, convert_keras_to_layers, find_unsupported_layers

# name -> (class, words the reason must contain)
EXPECTED = {
    "doubler": ("Lambda", "no such class"),
    "custom": ("Scale", "no such class"),
    "normalize": ("Normalization", "only the last axis"),
    "attention": ("MultiHeadAttention", "no such class"),
    "gru_reset_after": ("GRU", "reset_after=True"),
    "resize": ("Resizing", "aligns corners"),
    "upsample_bilinear": ("UpSampling2D", "bilinear"),
    "causal": ("Conv1D", "padding='causal' with strides > 1"),
    "lora": ("Dense", "LoRA"),
    "rms_norm": ("LayerNormalization", "rms_scaling=True"),
    "hard": ("GRU", "hard_sigmoid"),
}


@pytest.fixture(scope="session")
def unsupported_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    keras: Any = keras_flavor("keras3")
    layers = keras.layers

    @keras.saving.register_keras_serializable(package="tests")
    class Scale(layers.Layer):  # type: ignore[name-defined]  # a runtime Keras class
        def call(self, inputs):
            return inputs * 3.0

    x = keras.Input((6, 4), name="x")
    image = keras.Input((8, 8, 1), name="image")
    y = layers.Lambda(lambda t: t * 2.0, name="doubler")(x)
    y = Scale(name="custom")(y)
    y = layers.Normalization(axis=1, mean=0.5, variance=2.0, name="normalize")(y)
    y = layers.Subtract(name="difference")([y, x])
    y = layers.MultiHeadAttention(2, 3, name="attention")(y, y)
    y = layers.GRU(3, return_sequences=True, name="gru_reset_after")(y)
    y = layers.Conv1D(2, 2, strides=2, padding="causal", name="causal")(y)
    y = layers.LayerNormalization(rms_scaling=True, name="rms_norm")(y)
    y = layers.GRU(
        2,
        return_sequences=True,
        reset_after=False,
        recurrent_activation="hard_sigmoid",
        name="hard",
    )(y)
    y = layers.GlobalAveragePooling1D(name="pool")(y)
    y = layers.Dense(3, lora_rank=2, name="lora")(y)
    y = layers.Dense(2)(y)
    z = layers.Resizing(4, 4, name="resize")(image)
    z = layers.Flatten()(layers.UpSampling2D(interpolation="bilinear", name="upsample_bilinear")(z))
    model = keras.Model([x, image], [y, z], name="unsupported")
    directory = tmp_path_factory.mktemp("unsupported")
    files = {}
    for suffix in (".keras", ".h5"):
        files[suffix] = directory / f"model{suffix}"
        model.save(files[suffix])
    return files


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_find_unsupported_layers_lists_each_offender(unsupported_files, suffix: str) -> None:
    found = find_unsupported_layers(unsupported_files[suffix])
    assert all(isinstance(item, UnsupportedLayer) for item in found)
    by_name = {item.name: item for item in found}
    assert set(by_name) == set(EXPECTED)
    for name, (class_name, words) in EXPECTED.items():
        # Keras 3's HDF5 writer names a registered custom class by its registered name.
        assert by_name[name].class_name in (class_name, f"tests>{class_name}")
        assert words in by_name[name].reason, by_name[name]


def test_conversion_error_names_every_layer_and_the_way_out(unsupported_files) -> None:
    with pytest.raises(UnsupportedModelError) as caught:
        convert_keras_to_layers(unsupported_files[".keras"])
    message = str(caught.value)
    assert "\n" not in message
    for name, (class_name, _) in EXPECTED.items():
        assert f"{name} ({class_name})" in message
    assert "format='graph'" in message and "format='auto'" in message  # a Python caller
    assert str(unsupported_files[".keras"]) in message
    with pytest.raises(UnsupportedModelError) as on_the_command_line:
        convert_keras_to_layers(unsupported_files[".keras"], origin="cli")
    assert "(--format graph, or --format auto to choose)" in str(on_the_command_line.value)


def test_supported_model_has_no_unsupported_layers(zoo) -> None:
    assert find_unsupported_layers(zoo("keras3", "recurrent").files[".keras"]) == []


def test_lambda_bytecode_is_never_decoded(tmp_path: Path) -> None:
    """A Lambda whose 'bytecode' is garbage is reported like any Lambda: nothing unmarshals it."""
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "lambda_model",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "in"}},
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "evil",
                        "function": {
                            "class_name": "__lambda__",
                            "config": {"code": "!!not-marshal!!"},
                        },
                    },
                },
            ],
        },
    }
    source = tmp_path / "evil.keras"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    assert find_unsupported_layers(source) == [
        UnsupportedLayer("evil", "Lambda", "TF.js layers has no such class")
    ]


@pytest.mark.parametrize("flavor", ["keras3", "tf_keras"])
def test_layer_shared_between_nested_models(flavor: str, tmp_path: Path) -> None:
    """TF.js cannot share one layer between two nested models: reported, not mis-converted."""
    keras = keras_flavor(flavor)
    layers = keras.layers
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, layers.Dense(4, name="shared_dense")(inner_in), name="inner")
    wrapper = keras.Sequential(
        [keras.Input((4,)), inner, layers.Dense(4, name="after")], name="wrapper"
    )
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Add()([wrapper(x), inner(x)]), name="sharing")
    source = tmp_path / "sharing.h5"
    model.save(source)
    found = find_unsupported_layers(source)
    assert [(item.name, item.class_name) for item in found] == [("inner/shared_dense", "Dense")]
    assert "wrapper/inner/shared_dense has the same name" in found[0].reason


@pytest.mark.parametrize(
    ("layer_class", "kwargs"),
    [
        ("Resizing", {"height": 4, "width": 4}),
        ("UpSampling2D", {"interpolation": "bilinear"}),
        ("CategoryEncoding", {"num_tokens": 7, "output_mode": "multi_hot"}),
    ],
)
def test_refused_layers_really_differ_in_tfjs(
    layer_class: str, kwargs: dict, tmp_path: Path, convert_and_run, monkeypatch
) -> None:
    """Forced through anyway, TF.js fails or computes something else than Keras: the refusal is
    grounded (if a TF.js upgrade fixes them, this test says the layer can be enabled)."""
    import numpy as np

    from tfjs_build.errors import RuntimeFailure
    from tfjs_build.layers import layer_configs

    monkeypatch.setitem(layer_configs._REWRITES, layer_class, layer_configs._keep)
    keras = keras_flavor("keras3")
    rng = np.random.default_rng(0)
    if layer_class == "CategoryEncoding":
        image = keras.Input((4,), dtype="int32", name="image")
        images = rng.integers(0, 7, size=(2, 4)).astype("int32")
    else:
        image = keras.Input((8, 8, 2), name="image")
        images = rng.normal(size=(1, 8, 8, 2)).astype("float32")
    model = keras.Model(image, getattr(keras.layers, layer_class)(name="probe", **kwargs)(image))
    source = tmp_path / "probe.keras"
    model.save(source)
    try:
        tfjs = convert_and_run(source, {"image": images})["probe"]
    except RuntimeFailure:
        return
    assert np.abs(tfjs - model.predict(images, verbose=0)).max() > 1e-2


def test_keepdims_pooling_2d_needs_keras3_shapes(tmp_path: Path) -> None:
    """Keras 2 configs do not record the channel count TF.js's Reshape needs (past the inputs)."""
    keras = keras_flavor("tf_keras")
    image = keras.Input((4, 4, 3), name="image")
    features = keras.layers.Conv2D(2, 1)(image)
    pooled = keras.layers.GlobalAveragePooling2D(keepdims=True, name="gap")(features)
    source = tmp_path / "keepdims.h5"
    keras.Model(image, pooled).save(source)
    assert find_unsupported_layers(source) == [
        UnsupportedLayer(
            "gap",
            "GlobalAveragePooling2D",
            "keepdims=True with an unrecorded channel count (Keras 2 file)",
        )
    ]
