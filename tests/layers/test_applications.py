"""keras.applications architectures (weights=None, small inputs) convert and match Keras within
1e-4 + 1e-3 * |expected|, the ones that need expansions (hard SiLU, op nodes, Normalization,
grouped convolutions, LayerScale, CustomScaleLayer) included.

Only MobileNetV2 runs by default; the rest are ``slow``
(``pytest -m slow tests/layers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.layers.conftest import assert_outputs_match, keras_flavor, predict
from tests.layers.model_zoo import input_names

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
    "MobileNetV3Small": ({}, SMALL),  # hard SiLU, x + 3.0 and x * (1/6) op nodes
    "MobileNetV3Large": ({"include_preprocessing": False}, SMALL),
    "EfficientNetB0": ({}, SMALL),  # Normalization, per-channel Rescaling
    "ConvNeXtTiny": ({}, SMALL),  # Conv2D(groups=channels), LayerScale, Normalization
    "InceptionResNetV2": ({}, (75, 75, 3)),  # CustomScaleLayer
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
