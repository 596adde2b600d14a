"""Each Keras activation the converter maps is computed identically by TF.js (checked in TF.js),
and Keras 3's hard_sigmoid, which TF.js's differs from, is expanded into layers computing it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.layers.conftest import assert_outputs_match, keras_flavor, predict
from tfjs_build.layers.config_values import _ACTIVATIONS, _KERAS2_ONLY_ACTIVATIONS
from tfjs_build.layers.registry import tfjs_class_names

PROBE = np.linspace(-7.0, 7.0, 5 * 24, dtype="float32").reshape(5, 24)


def _activation_model(keras, names: list[str]):
    x = keras.Input((24,), name="x")
    outputs = [keras.layers.Activation(name, name=f"act_{name}")(x) for name in names]
    outputs.append(keras.layers.Dense(4, activation=names[0], name="dense_act")(x))
    return keras.Model(x, outputs, name="activations")


def test_every_tfjs_activation_is_reachable() -> None:
    mapped = set(_ACTIVATIONS.values()) | set(_KERAS2_ONLY_ACTIVATIONS.values())
    # gelu_new (tanh approximation) has no Keras activation name to come from.
    assert mapped == tfjs_class_names("activations") - {"gelu_new"}


@pytest.mark.parametrize(
    ("flavor", "names"),
    [
        ("keras3", sorted(_ACTIVATIONS)),
        ("tf_keras", sorted(_ACTIVATIONS) + sorted(_KERAS2_ONLY_ACTIVATIONS)),
    ],
)
def test_activations_match_in_tfjs(flavor, names, tmp_path: Path, convert_and_run) -> None:
    keras = keras_flavor(flavor)
    model = _activation_model(keras, names)
    source = tmp_path / "activations.h5"
    model.save(source)
    expected = predict(model, {"x": PROBE})
    assert_outputs_match(convert_and_run(source, {"x": PROBE}), expected)


def test_keras3_hard_sigmoid_is_expanded_because_tfjs_own_differs(
    tmp_path: Path, convert_and_run
) -> None:
    keras3 = keras_flavor("keras3")
    model = _activation_model(keras3, ["hard_sigmoid", "hard_silu"])
    source = tmp_path / "k3.keras"
    model.save(source)
    tfjs = convert_and_run(source, {"x": PROBE})
    assert_outputs_match(tfjs, predict(model, {"x": PROBE}))

    # The expansion is needed: TF.js's hardSigmoid (what a Keras 2 model converts to) is not
    # Keras 3's.
    tf_keras = keras_flavor("tf_keras")
    keras2_source = tmp_path / "k2.h5"
    _activation_model(tf_keras, ["hard_sigmoid"]).save(keras2_source)
    keras2 = convert_and_run(keras2_source, {"x": PROBE})["act_hard_sigmoid"]
    assert np.abs(keras2 - tfjs["act_hard_sigmoid"]).max() > 0.05
