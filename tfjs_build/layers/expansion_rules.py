"""Which layers become several TF.js layers, and how: one rule per case.

A rule returns the ``Expansion`` of a layer, ``None`` when the layer converts as it is, or raises
``UnsupportedConfig`` when neither works. Keras 3 internal classes that its own legacy ``.h5``
loader does not know (``LayerScale``...) are expanded by class name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfjs_build.layers.application_classes import APPLICATION_CLASSES, application_module
from tfjs_build.layers.arithmetic import activation_expansion, op_expansion, subtract_expansion
from tfjs_build.layers.channels import (
    batch_norm_expansion,
    custom_scale_expansion,
    layer_scale_expansion,
    normalization_expansion,
    rescaling_expansion,
    stochastic_depth_expansion,
)
from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.convolutions import (
    causal_conv1d_expansion,
    depthwise_conv2d_expansion,
    dilated_depthwise_expansion,
)
from tfjs_build.layers.expansions import Expansion, Step
from tfjs_build.layers.layer_call import LayerCall
from tfjs_build.layers.sequence_padding import cropping1d_expansion, zero_padding1d_expansion

Config = dict[str, Any]
Rule = Callable[[LayerCall], "Expansion | None"]


def _keepdims_pooling(call: LayerCall) -> Expansion | None:
    """Global pooling with ``keepdims=True``: TF.js pooling has no ``keepdims``, so the pooling
    is followed by a layer restoring the pooled axes (``RepeatVector(1)`` in 1D, ``Reshape((1,
    1, channels))`` in 2D: TF.js cannot infer a ``-1`` there, and only Keras 3 records the
    channels)."""
    config = call.config
    if not config.get("keepdims"):
        return None
    pooled = {k: v for k, v in config.items() if k != "keepdims"}
    pool = Step(call.class_name, pooled, "pool")
    if call.class_name.endswith("1D"):
        return Expansion((pool, Step("RepeatVector", {"n": 1}, "")))
    shape = call.input_shape
    channels = shape[-1] if shape else None
    if channels is None:
        raise UnsupportedConfig("keepdims=True with an unrecorded channel count (Keras 2 file)")
    return Expansion((pool, Step("Reshape", {"target_shape": [1, 1, channels]}, "")))


RULES: dict[str, Rule] = {
    "BatchNormalization": batch_norm_expansion,
    "Conv1D": causal_conv1d_expansion,
    "Conv2D": depthwise_conv2d_expansion,
    "DepthwiseConv2D": dilated_depthwise_expansion,
    "Rescaling": rescaling_expansion,
    "Normalization": normalization_expansion,
    "LayerScale": layer_scale_expansion,
    "StochasticDepth": stochastic_depth_expansion,
    "CustomScaleLayer": custom_scale_expansion,
    "Subtract": subtract_expansion,
    "ZeroPadding1D": zero_padding1d_expansion,
    "Cropping1D": cropping1d_expansion,
    **dict.fromkeys(
        (
            "GlobalAveragePooling1D",
            "GlobalAveragePooling2D",
            "GlobalMaxPooling1D",
            "GlobalMaxPooling2D",
        ),
        _keepdims_pooling,
    ),
}


def plan_expansion(call: LayerCall) -> Expansion | None:
    """The expansion ``call``'s layer needs, if any (``UnsupportedConfig`` if it cannot be had)."""
    if call.args is not None:
        return op_expansion(call)
    if call.class_name in APPLICATION_CLASSES and not application_module(
        call.class_name, call.config
    ):
        return None  # a user's class of the same name
    activation = activation_expansion(call)
    if activation is not None:
        return activation
    rule = RULES.get(call.class_name)
    return rule(call) if rule is not None else None
