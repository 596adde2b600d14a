"""Rewrite the values inside a Keras layer config (dtypes, activations, initializers,
regularizers, constraints) into the Keras-2-style forms TF.js 4.22 deserializes.

Keras 3 wraps these objects as ``{"module", "class_name", "config", "registered_name"}`` and
uses dtype policies; TF.js reads plain dtype strings and ``{"class_name", "config"}`` objects.
A value TF.js cannot reproduce exactly raises ``UnsupportedConfig``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from tfjs_build.layers.registry import tfjs_class_names


class UnsupportedConfig(Exception):
    """A config value TF.js layers cannot express; the message is the reason."""


# Keras activation name -> TF.js activation class, where both compute the same function
# (tests/layers/test_activations.py checks each one numerically in TF.js).
_ACTIVATIONS = {
    "linear": "linear",
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "softplus": "softplus",
    "softsign": "softsign",
    "elu": "elu",
    "selu": "selu",
    "swish": "swish",
    "silu": "swish",
    "gelu": "gelu",
    "mish": "mish",
    "log_softmax": "logSoftmax",
}
# Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1) like TF.js; Keras 3's is relu6(x + 3) / 6.
_KERAS2_ONLY_ACTIVATIONS = {"hard_sigmoid": "hardSigmoid"}

_INITIALIZER_ALIASES = {
    "LecunNormal": "LeCunNormal",
    "LecunUniform": "LeCunUniform",
    "IdentityInitializer": "Identity",
    "OrthogonalInitializer": "Orthogonal",
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_normal": "HeNormal",
    "he_uniform": "HeUniform",
    "lecun_normal": "LeCunNormal",
    "lecun_uniform": "LeCunUniform",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling",
    "orthogonal": "Orthogonal",
    "identity": "Identity",
    "zeros": "Zeros",
    "ones": "Ones",
    "constant": "Constant",
}
_CONSTRAINT_ALIASES = {
    "max_norm": "MaxNorm",
    "min_max_norm": "MinMaxNorm",
    "non_neg": "NonNeg",
    "unit_norm": "UnitNorm",
}
_REGULARIZER_DEFAULT = 0.01

# Dtypes an InputLayer may declare, as TF.js receives them (TF.js has no 64-bit or small ints).
_INPUT_DTYPES = {
    "float32": "float32",
    "float64": "float32",
    "int32": "int32",
    "int64": "int32",
    "int16": "int32",
    "int8": "int32",
    "uint8": "int32",
    "uint16": "int32",
    "bool": "bool",
}


def unwrap_keras_object(value: dict[str, Any]) -> tuple[str, Any]:
    """``(class_name, config)`` of a serialized Keras object, Keras 2 or Keras 3 style."""
    class_name = value.get("class_name")
    if not isinstance(class_name, str):
        raise UnsupportedConfig(f"serialized object without a class_name: {value!r:.80}")
    return class_name, value.get("config", {})


def dtype_name(value: Any) -> str | None:
    """The dtype string of a dtype or Keras 3 dtype policy (``None`` stays ``None``)."""
    if value is None or isinstance(value, str):
        name = value
    elif isinstance(value, dict):
        _, config = unwrap_keras_object(value)
        name = config.get("name") if isinstance(config, dict) else config
    else:
        raise UnsupportedConfig(f"dtype {value!r} is not understood")
    if name is not None and not isinstance(name, str):
        raise UnsupportedConfig(f"dtype {value!r} is not understood")
    return name


# Mixed precision policies keep their variables in float32 and compute in 16 bits; TF.js has
# no mixed precision, so such a layer computes in float32 with the same weights (parity allows
# for the source's 16-bit arithmetic, see tfjs_build.parity.tolerances).
MIXED_POLICIES = frozenset({"mixed_float16", "mixed_bfloat16"})


def layer_dtype(value: Any) -> str | None:
    """A layer's compute dtype; TF.js layers compute in float32 only."""
    name = dtype_name(value)
    if name in MIXED_POLICIES:
        return "float32"
    if name not in (None, "float32"):
        raise UnsupportedConfig(f"dtype policy {name!r} (TF.js layers compute in float32)")
    return name


def input_dtype(value: Any) -> str:
    """The dtype of an InputLayer as TF.js can feed it."""
    name = dtype_name(value) or "float32"
    if name not in _INPUT_DTYPES:
        raise UnsupportedConfig(f"input dtype {name!r}")
    return _INPUT_DTYPES[name]


def activation(value: Any, keras_major: int) -> str:
    """The TF.js activation name computing the same function as Keras activation ``value``."""
    if value is None:
        return "linear"
    if isinstance(value, dict):
        class_name, config = unwrap_keras_object(value)
        # Keras 3 may serialize a built-in activation function as {"class_name": "function",
        # "config": "relu", "module": "keras.activations"}.
        if class_name == "function" and isinstance(config, str):
            value = config
        else:
            raise UnsupportedConfig(f"activation {class_name!r}")
    if not isinstance(value, str):
        raise UnsupportedConfig(f"activation {value!r}")
    if value in _ACTIVATIONS:
        return _ACTIVATIONS[value]
    if keras_major < 3 and value in _KERAS2_ONLY_ACTIVATIONS:
        return _KERAS2_ONLY_ACTIVATIONS[value]
    if value in _KERAS2_ONLY_ACTIVATIONS:
        raise UnsupportedConfig(
            f"activation {value!r} (Keras 3 computes relu6(x + 3) / 6, TF.js clip(0.2x + 0.5))"
        )
    raise UnsupportedConfig(f"activation {value!r} (TF.js has no identical activation)")


def _named_object(value: Any, kind: str, aliases: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """``(class_name, config)`` of an initializer/regularizer/constraint given as a string
    identifier or a serialized object, with Keras names mapped through ``aliases``."""
    config: Any
    if isinstance(value, str):
        class_name, config = value, {}
    elif isinstance(value, dict):
        class_name, config = unwrap_keras_object(value)
    else:
        raise UnsupportedConfig(f"{kind} {value!r}")
    if not isinstance(config, dict):
        raise UnsupportedConfig(f"{kind} {class_name!r}")
    return aliases.get(class_name, class_name), dict(config)


def _registered_object(
    value: Any, kind: Literal["initializers", "constraints"], aliases: dict[str, str]
) -> dict[str, Any] | None:
    """A TF.js ``{"class_name", "config"}`` object of a class TF.js registers as ``kind``."""
    if value is None:
        return None
    class_name, config = _named_object(value, kind[:-1], aliases)
    if class_name not in tfjs_class_names(kind):
        raise UnsupportedConfig(f"{kind[:-1]} {class_name!r}")
    return {"class_name": class_name, "config": config}


def initializer(value: Any) -> dict[str, Any] | None:
    """A TF.js ``{"class_name", "config"}`` initializer."""
    result = _registered_object(value, "initializers", _INITIALIZER_ALIASES)
    if result is None:
        return None
    config = result["config"]
    if config.get("distribution") == "untruncated_normal":
        config["distribution"] = "normal"
    for unknown in ("input_axes", "output_axes"):
        config.pop(unknown, None)
    return result


def regularizer(value: Any) -> dict[str, Any] | None:
    """A TF.js ``L1L2`` regularizer equivalent to a Keras L1, L2 or L1L2 regularizer."""
    if value is None:
        return None
    class_name, config = _named_object(value, "regularizer", {})
    key = class_name.lower().replace("_", "")
    if key not in ("l1", "l2", "l1l2"):
        raise UnsupportedConfig(f"regularizer {class_name!r}")
    defaults = {
        "l1": (_REGULARIZER_DEFAULT, 0.0),
        "l2": (0.0, _REGULARIZER_DEFAULT),
        "l1l2": (0.0, 0.0),
    }[key]
    l1 = float(config.get("l1", defaults[0]) if key != "l2" else 0.0)
    l2 = float(config.get("l2", defaults[1]) if key != "l1" else 0.0)
    return {"class_name": "L1L2", "config": {"l1": l1, "l2": l2}}


def constraint(value: Any) -> dict[str, Any] | None:
    """A TF.js ``{"class_name", "config"}`` constraint."""
    return _registered_object(value, "constraints", _CONSTRAINT_ALIASES)


_VALUE_REWRITERS = (
    (re.compile(r"(^|_)initializer$"), initializer),
    (re.compile(r"(^|_)regularizer$"), regularizer),
    (re.compile(r"(^|_)constraint$"), constraint),
)


def rewrite_common_values(config: dict[str, Any], keras_major: int) -> dict[str, Any]:
    """A copy of a layer config with its dtype, activations, initializers, regularizers and
    constraints rewritten for TF.js; other keys are copied unchanged."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype":
            out[key] = layer_dtype(value)
        elif key in ("activation", "recurrent_activation"):
            out[key] = activation(value, keras_major)
        else:
            for pattern, rewrite in _VALUE_REWRITERS:
                if pattern.search(key):
                    out[key] = rewrite(value)
                    break
            else:
                out[key] = value
    return out
