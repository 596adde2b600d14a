"""Keras config values (dtypes, activations, initializers, regularizers, constraints) rewritten
for TF.js, and the values TF.js would get wrong refused."""

from __future__ import annotations

import pytest

from tfjs_build.layers import config_values as values
from tfjs_build.layers.config_values import UnsupportedConfig


def _keras3(class_name: str, config: dict, module: str = "keras.initializers") -> dict:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def test_dtype_policy_becomes_a_dtype_string() -> None:
    policy = _keras3("DTypePolicy", {"name": "float32"}, module="keras")
    assert values.layer_dtype(policy) == "float32"
    assert values.layer_dtype("float32") == "float32"
    assert values.layer_dtype(None) is None


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_layers_compute_in_float32(name: str) -> None:
    """Their variables are float32 already; parity allows for the source's 16-bit arithmetic."""
    assert values.layer_dtype(_keras3("DTypePolicy", {"name": name}, module="keras")) == "float32"
    tf_keras_policy = {
        "module": "keras.mixed_precision",
        "class_name": "Policy",
        "config": {"name": name},
    }
    assert values.layer_dtype(tf_keras_policy) == "float32"


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float64"])
def test_other_compute_dtypes_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedConfig, match=name):
        values.layer_dtype(_keras3("DTypePolicy", {"name": name}, module="keras"))


@pytest.mark.parametrize(
    ("given", "expected"),
    [("int64", "int32"), ("uint8", "int32"), ("float64", "float32"), (None, "float32")],
)
def test_input_dtypes_narrow_to_what_tfjs_feeds(given, expected) -> None:
    assert values.input_dtype(given) == expected


def test_input_string_dtype_is_refused() -> None:
    with pytest.raises(UnsupportedConfig, match="string"):
        values.input_dtype("string")


def test_initializers_lose_their_keras3_wrapper_and_take_tfjs_names() -> None:
    glorot = _keras3("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None})
    assert values.initializer(glorot) == {"class_name": "GlorotUniform", "config": {"seed": None}}
    lecun = values.initializer(_keras3("LecunNormal", {"seed": 3}))
    assert lecun is not None and lecun["class_name"] == "LeCunNormal"
    assert values.initializer("he_uniform") == {"class_name": "HeUniform", "config": {}}
    scaling = values.initializer(_keras3("VarianceScaling", {"distribution": "untruncated_normal"}))
    assert scaling is not None and scaling["config"]["distribution"] == "normal"


def test_unknown_initializer_is_refused() -> None:
    with pytest.raises(UnsupportedConfig, match="STFTInitializer"):
        values.initializer(_keras3("STFTInitializer", {}))


@pytest.mark.parametrize(
    ("class_name", "config", "expected"),
    [
        ("L2", {"l2": 0.5}, {"l1": 0.0, "l2": 0.5}),
        ("L1", {"l1": 0.25}, {"l1": 0.25, "l2": 0.0}),
        ("L1L2", {"l1": 0.1, "l2": 0.2}, {"l1": 0.1, "l2": 0.2}),
        ("l2", None, {"l1": 0.0, "l2": 0.01}),
    ],
)
def test_regularizers_become_l1l2(class_name, config, expected) -> None:
    given = class_name if config is None else _keras3(class_name, config, "keras.regularizers")
    assert values.regularizer(given) == {"class_name": "L1L2", "config": expected}


def test_orthogonal_regularizer_is_refused() -> None:
    with pytest.raises(UnsupportedConfig, match="OrthogonalRegularizer"):
        values.regularizer(_keras3("OrthogonalRegularizer", {"factor": 0.01}))


def test_constraints_keep_their_config() -> None:
    max_norm = _keras3("MaxNorm", {"max_value": 2.0, "axis": 0}, "keras.constraints")
    assert values.constraint(max_norm) == {
        "class_name": "MaxNorm",
        "config": {"max_value": 2.0, "axis": 0},
    }
    assert values.constraint("non_neg") == {"class_name": "NonNeg", "config": {}}


def test_activation_names() -> None:
    assert values.activation("silu", 3) == "swish"
    assert values.activation("log_softmax", 3) == "logSoftmax"
    assert values.activation(None, 3) == "linear"
    fn = {"module": "keras.activations", "class_name": "function", "config": "relu"}
    assert values.activation(fn, 3) == "relu"
    assert values.activation("hard_sigmoid", 2) == "hardSigmoid"
    for refused in ("hard_sigmoid", "leaky_relu", "exponential", "hard_silu"):
        with pytest.raises(UnsupportedConfig, match=refused):
            values.activation(refused, 3)


def test_rewrite_common_values_touches_only_known_keys() -> None:
    config = {
        "name": "dense",
        "units": 3,
        "dtype": _keras3("DTypePolicy", {"name": "float32"}, module="keras"),
        "activation": "silu",
        "kernel_initializer": _keras3("Zeros", {}),
        "bias_regularizer": _keras3("L2", {"l2": 0.5}, "keras.regularizers"),
        "kernel_constraint": None,
    }
    assert values.rewrite_common_values(config, 3) == {
        "name": "dense",
        "units": 3,
        "dtype": "float32",
        "activation": "swish",
        "kernel_initializer": {"class_name": "Zeros", "config": {}},
        "bias_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}},
        "kernel_constraint": None,
    }
