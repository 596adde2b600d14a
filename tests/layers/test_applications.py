"""keras.applications architectures (weights=None, small inputs) that TF.js layers can express
convert and match Keras within 1e-4 + 1e-3 * |expected|; the others are refused with reasons.

Only MobileNetV2 runs by default; the rest are ``slow`` (``pytest -m slow tests/layers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.layers.conftest import assert_outputs_match, keras_flavor, predict
from tests.layers.model_zoo import input_names
from tfjs_build.layers import find_unsupported_layers

SMALL = (32, 32, 3)
EXPRESSIBLE: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {
    # name: (constructor keyword arguments, input shape)
    "MobileNet": ({"alpha": 0.25}, SMALL),  # GlobalAveragePooling2D(keepdims=True)
    "MobileNetV2": ({"alpha": 0.35}, SMALL),
    "ResNet50": ({}, SMALL),
    "ResNet50V2": ({}, SMALL),
    "VGG16": ({}, SMALL),
    "DenseNet121": ({}, SMALL),
    "InceptionV3": ({}, (75, 75, 3)),
    "Xception": ({}, (71, 71, 3)),
    "NASNetMobile": ({}, SMALL),
    "EfficientNetV2B0": ({"include_preprocessing": False}, SMALL),
}
NOT_EXPRESSIBLE: dict[str, tuple[dict[str, Any], str]] = {
    "MobileNetV3Small": ({"include_preprocessing": False}, "hard_silu"),
    "EfficientNetB0": ({}, "Normalization"),
    "ConvNeXtTiny": ({"include_preprocessing": False}, "grouped convolution"),
    "InceptionResNetV2": ({}, "CustomScaleLayer"),
}
FAST = {("keras3", "MobileNetV2")}
CASES = [("keras3", name) for name in EXPRESSIBLE] + [
    ("tf_keras", "MobileNetV2"),
    ("tf_keras", "DenseNet121"),
]


def _application(flavor: str, name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> Any:
    keras = keras_flavor(flavor)
    keras.utils.set_random_seed(0)
    constructor = getattr(keras.applications, name)
    kwargs = {"weights": None, "input_shape": shape, "classes": 10, **kwargs}
    if name not in ("NASNetMobile",):
        kwargs.setdefault("classifier_activation", None)  # compare logits, not saturated softmax
    model = constructor(**kwargs)
    _nontrivial_batch_statistics(model)
    return model


def _nontrivial_batch_statistics(model: Any) -> None:
    rng = np.random.default_rng(1)
    values = []
    for weight, current in zip(model.weights, model.get_weights(), strict=True):
        name = getattr(weight, "path", None) or weight.name
        if "moving_mean" in name:
            current = rng.normal(0.0, 0.1, current.shape).astype(current.dtype)
        elif "moving_variance" in name:
            current = rng.uniform(0.5, 1.5, current.shape).astype(current.dtype)
        values.append(current)
    model.set_weights(values)


@pytest.mark.parametrize(
    ("flavor", "name"),
    [
        pytest.param(
            *case, marks=() if case in FAST else pytest.mark.slow, id=f"{case[0]}-{case[1]}"
        )
        for case in CASES
    ],
)
def test_application_matches_keras(flavor: str, name: str, tmp_path: Path, convert_and_run) -> None:
    kwargs, shape = EXPRESSIBLE[name]
    model = _application(flavor, name, kwargs, shape)
    suffix = ".keras" if (flavor == "keras3" and len(name) % 2) else ".h5"
    source = tmp_path / f"{name}{suffix}"
    model.save(source)
    images = np.random.default_rng(2).uniform(-1.0, 1.0, (2, *shape)).astype("float32")
    inputs = {input_names(model)[0]: images}
    expected = predict(model, inputs)
    assert_outputs_match(convert_and_run(source, inputs), expected, atol=1e-4, rtol=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOT_EXPRESSIBLE))
def test_application_refused_with_reason(name: str, tmp_path: Path) -> None:
    kwargs, words = NOT_EXPRESSIBLE[name]
    model = _application(
        "keras3", name, kwargs, SMALL if name != "InceptionResNetV2" else (75, 75, 3)
    )
    source = tmp_path / f"{name}.keras"
    model.save(source)
    found = find_unsupported_layers(source)
    assert found
    assert any(words in f"{item.class_name} {item.reason}" for item in found)
