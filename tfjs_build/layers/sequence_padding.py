"""``ZeroPadding1D`` and ``Cropping1D``, which TF.js 4.22 lacks, as their 2D layers.

A sequence ``(batch, steps, channels)`` reshaped to ``(batch, steps, 1, channels)`` is an image one
column wide; ``ZeroPadding2D`` or ``Cropping2D`` along its rows (nothing along its column) pads or
crops the steps exactly as the 1D layer does, and a second reshape drops the column. Both reshapes
spell out every dimension, so the input's steps and channels must be recorded: TF.js 4.22's
``Reshape`` leaves a ``-1`` dimension unknown in its output shape (it counts the batch as an unknown
input dimension), which a later ``Flatten`` or ``Dense`` refuses.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.expansions import Expansion, Step
from tfjs_build.layers.layer_call import LayerCall


def _pair(value: Any) -> tuple[int, int]:
    """Keras's ``int`` or ``(before, after)`` amount."""
    if isinstance(value, (list, tuple)):
        before, after = value
        return int(before), int(after)
    return int(value), int(value)


def _as_columns(call: LayerCall, class_name: str, key: str, sign: int) -> Expansion | None:
    """The 1D layer ``call`` as ``class_name`` (the 2D layer, its amount under ``key``) on a
    one-column image; ``sign`` says whether the steps grow (+1) or shrink (-1)."""
    if call.config.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedConfig(f"data_format={call.config['data_format']!r}")
    before, after = _pair(call.config[key])
    shape = call.input_shape
    steps, channels = (shape[1], shape[2]) if shape and len(shape) == 3 else (None, None)
    if steps is None or channels is None:
        raise UnsupportedConfig(
            "the file does not record its input's steps and channels (TF.js has no "
            f"{call.class_name}; it is converted as {class_name} on a reshaped input)"
        )
    amount = [[before, after], [0, 0]]
    return Expansion(
        (
            Step("Reshape", {"target_shape": [steps, 1, channels]}, "column"),
            Step(class_name, {key: amount, "data_format": "channels_last"}, class_name.lower()),
            Step("Reshape", {"target_shape": [steps + sign * (before + after), channels]}, ""),
        )
    )


def zero_padding1d_expansion(call: LayerCall) -> Expansion | None:
    """``ZeroPadding1D`` as ``ZeroPadding2D`` on a one-column image."""
    return _as_columns(call, "ZeroPadding2D", "padding", 1)


def cropping1d_expansion(call: LayerCall) -> Expansion | None:
    """``Cropping1D`` as ``Cropping2D`` on a one-column image."""
    return _as_columns(call, "Cropping2D", "cropping", -1)
