"""Arithmetic TF.js layers have no class for, as layers they have: Keras 3 op nodes (``x + 3.0``,
``x * (1 / 6)``, ``a - b``) and the hard sigmoid / hard SiLU activations.

- ``x + c``, ``x - c``, ``c - x``, ``x * c``: ``Rescaling(scale, offset)`` (TF.js computes
  ``x * scale + offset``; multiplying by 1 and adding 0 change nothing).
- ``a + b``, ``a * b``, ``max``/``min``: the merge layers; ``a - b`` (and the ``Subtract`` layer,
  which TF.js lacks): ``Add([a, Rescaling(-1)(b)])``.
- Keras 3 ``hard_sigmoid(x) = relu6(x + 3) / 6``: ``Rescaling(offset=3)``, ``ReLU(6)``,
  ``Rescaling(1/6)`` (TF.js's own hardSigmoid is Keras 2's ``clip(0.2x + 0.5)``);
  ``hard_silu(x) = x * hard_sigmoid(x)``: those and a ``Multiply``. A layer with such an
  ``activation`` becomes the layer with a linear activation, then the activation's steps.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.expansions import Expansion, Source, Step, StepInput
from tfjs_build.layers.layer_call import LayerCall

Config = dict[str, Any]
_MERGES = {"Add": "Add", "Multiply": "Multiply", "Maximum": "Maximum", "Minimum": "Minimum"}
_HARD = frozenset({"hard_sigmoid", "hard_silu", "hard_swish"})
_RECURRENT_KEYS = ("recurrent_activation", "cell", "cells")


def _rescaling(suffix: str, scale: float, offset: float, inputs: Any = None) -> Step:
    return Step("Rescaling", {"scale": scale, "offset": offset}, suffix, inputs)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def op_expansion(call: LayerCall) -> Expansion | None:
    """The steps of an arithmetic op node on a tensor and a number, or on two tensors."""
    args = call.args
    if args is None or call.class_name not in (*_MERGES, "Subtract"):
        return None
    if len(args) != 2:
        raise UnsupportedConfig(f"op {call.class_name} with {len(args)} arguments")
    first, second = args
    if isinstance(first, Source) and isinstance(second, Source):
        if call.class_name == "Subtract":
            return _difference(first, second)
        return Expansion((Step(_MERGES[call.class_name], {}, "", (first, second)),))
    tensor, constant = (first, second) if isinstance(first, Source) else (second, first)
    value = _number(constant)
    if not isinstance(tensor, Source) or value is None:
        raise UnsupportedConfig(
            f"op {call.class_name} on {constant!r:.40} (only a number or another tensor)"
        )
    if call.class_name == "Multiply":
        return Expansion((_rescaling("", value, 0.0, (tensor,)),))
    if call.class_name == "Add":
        return Expansion((_rescaling("", 1.0, value, (tensor,)),))
    if call.class_name == "Subtract":
        negate = tensor is second  # c - x
        return Expansion((_rescaling("", -1.0 if negate else 1.0, value if negate else -value),))
    raise UnsupportedConfig(f"op {call.class_name} with a constant")


def _difference(first: Source, second: Source) -> Expansion:
    negated = _rescaling("negated", -1.0, 0.0, (second,))
    return Expansion((negated, Step("Add", {}, "", (first, 0))))


def subtract_expansion(call: LayerCall) -> Expansion:
    """The ``Subtract`` layer (TF.js has none): ``Add([a, Rescaling(-1)(b)])``."""
    return _difference(Source(0), Source(1))


def _activation_name(value: Any) -> str | None:
    if isinstance(value, dict):
        config = value.get("config")
        return config if isinstance(config, str) else None
    return value if isinstance(value, str) else None


def _hard_steps(name: str, source: StepInput, offset: int) -> list[Step]:
    """``hard_sigmoid`` (``hard_silu``: and the product) of ``source``; ``offset`` is the position
    of the first of these steps."""
    steps = [
        _rescaling("plus_3", 1.0, 3.0, (source,)),
        Step("ReLU", {"max_value": 6.0}, "relu6"),
        _rescaling("hard_sigmoid", 1.0 / 6.0, 0.0),
    ]
    if name != "hard_sigmoid":
        steps.append(Step("Multiply", {}, "hard_silu", (source, offset + 2)))
    return steps


def activation_expansion(call: LayerCall) -> Expansion | None:
    """Steps for a layer whose activation is Keras 3's hard sigmoid or hard SiLU."""
    config = call.config
    name = _activation_name(config.get("activation"))
    if name not in _HARD or (name == "hard_sigmoid" and call.keras_major < 3):
        return None
    if any(key in config for key in _RECURRENT_KEYS):
        raise UnsupportedConfig(f"activation {name!r} inside a recurrent cell")
    if call.class_name == "Activation":
        steps = _hard_steps(name, Source(0), 0)
    else:
        linear = Step(call.class_name, {**config, "activation": "linear"}, "linear", weights=dict)
        steps = [linear, *_hard_steps(name, 0, 1)]
    return Expansion(tuple(steps))
