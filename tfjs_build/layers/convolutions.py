"""Convolutions TF.js layers have no option for, as convolutions they have.

- Causal ``Conv1D``: TF.js has neither ``padding="causal"`` nor a ``ZeroPadding1D`` layer. A
  ``"same"`` convolution with stride 1 and an odd kernel of ``2k - 1`` taps pads ``(k - 1) *
  dilation`` steps on each side; with the ``k`` taps of the causal kernel first and ``k - 1`` zero
  taps after, each output sees exactly the current and the past inputs, as Keras's causal
  padding does (the zero taps add exact zeros).
- ``Conv2D`` with ``groups`` equal to its input channels: each group convolves one channel into
  ``filters / groups`` outputs, which is ``DepthwiseConv2D`` with that depth multiplier; the
  kernel ``(h, w, 1, filters)`` reshaped to ``(h, w, channels, multiplier)`` keeps every output's
  position (output ``c * multiplier + m`` in both).
- A dilated ``DepthwiseConv2D``: TF.js 4.22's layer ignores ``dilation_rate`` (it computes an
  undilated convolution, of another output size). The same convolution has a kernel of
  ``(k - 1) * rate + 1`` taps with the original taps ``rate`` apart and zeros between them, and
  no dilation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.expansions import Expansion, Step, Weights
from tfjs_build.layers.layer_call import LayerCall

Config = dict[str, Any]


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def causal_conv1d_expansion(call: LayerCall) -> Expansion | None:
    """A causal ``Conv1D`` as a ``"same"`` convolution with zero taps appended."""
    config = call.config
    if config.get("padding") != "causal":
        return None
    if _single(config.get("strides", 1)) != 1:
        raise UnsupportedConfig("padding='causal' with strides > 1")
    taps = int(_single(config["kernel_size"]))

    def weights(original: Weights) -> Weights:
        kernel = original["kernel"]
        zeros = np.zeros((taps - 1, *kernel.shape[1:]), dtype=kernel.dtype)
        return {**original, "kernel": np.concatenate([kernel, zeros], axis=0)}

    same = {**config, "padding": "same", "kernel_size": [2 * taps - 1]}
    return Expansion((Step("Conv1D", same, "", weights=weights),))


_DEPTHWISE_KEYS = {
    "kernel_initializer": "depthwise_initializer",
    "kernel_regularizer": "depthwise_regularizer",
    "kernel_constraint": "depthwise_constraint",
}


def depthwise_conv2d_expansion(call: LayerCall) -> Expansion | None:
    """A ``Conv2D`` whose ``groups`` equals its input channels, as a ``DepthwiseConv2D``."""
    config = call.config
    groups = int(config.get("groups", 1))
    if groups == 1:
        return None
    shape = call.input_shape
    channels = shape[-1] if shape else None
    if channels != groups:
        known = "unrecorded" if channels is None else str(channels)
        raise UnsupportedConfig(
            f"groups={groups} on {known} input channels (TF.js has no grouped convolution; "
            "one group per channel is converted)"
        )
    filters = int(config["filters"])
    multiplier = filters // groups
    depthwise = {
        _DEPTHWISE_KEYS.get(key, key): value
        for key, value in config.items()
        if key not in ("filters", "groups")
    }
    depthwise["depth_multiplier"] = multiplier

    def weights(original: Weights) -> Weights:
        out = {k: v for k, v in original.items() if k != "kernel"}
        kernel = original["kernel"]
        out["depthwise_kernel"] = kernel.reshape(*kernel.shape[:2], groups, multiplier)
        return out

    dilated = dilated_depthwise_expansion(LayerCall("DepthwiseConv2D", depthwise, call.keras_major))
    if dilated is None:
        return Expansion((Step("DepthwiseConv2D", depthwise, "", weights=weights),))
    step = dilated.steps[0]
    undilate = step.weights
    assert undilate is not None
    return Expansion((replace(step, weights=lambda original: undilate(weights(original))),))


def _rates(value: Any) -> tuple[int, int]:
    rates = value if isinstance(value, list) else [value, value]
    return int(rates[0]), int(rates[-1])


def dilated_depthwise_expansion(call: LayerCall) -> Expansion | None:
    """A ``DepthwiseConv2D`` with ``dilation_rate`` > 1, as an undilated one with zero taps."""
    config = call.config
    rows, cols = _rates(config.get("dilation_rate", 1))
    if (rows, cols) == (1, 1):
        return None
    height, width = _rates(config["kernel_size"])
    size = [(height - 1) * rows + 1, (width - 1) * cols + 1]

    def weights(original: Weights) -> Weights:
        kernel = original["depthwise_kernel"]
        spread = np.zeros((size[0], size[1], *kernel.shape[2:]), dtype=kernel.dtype)
        spread[::rows, ::cols] = kernel
        return {**original, "depthwise_kernel": spread}

    undilated = {**config, "kernel_size": size, "dilation_rate": [1, 1]}
    return Expansion((Step("DepthwiseConv2D", undilated, "", weights=weights),))
