"""Per-class rewrites of a (non-model, non-wrapper) Keras layer config for TF.js 4.22.

Each rewrite takes a config whose common values are already rewritten (see ``config_values``),
renames keys TF.js reads differently, and raises ``UnsupportedConfig`` for a value TF.js would
compute differently or refuse. A class with no rewrite here is not converted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfjs_build.layers.config_values import UnsupportedConfig, rewrite_common_values
from tfjs_build.layers.registry import tfjs_class_names

Config = dict[str, Any]
Rewrite = Callable[[Config], Config]


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise UnsupportedConfig(reason)


def _keep(config: Config) -> Config:
    return config


def _no_groups(config: Config) -> Config:
    _require(
        config.get("groups", 1) == 1,
        f"groups={config.get('groups')} (TF.js has no grouped convolution)",
    )
    return config


def _conv1d(config: Config) -> Config:
    _require(
        config.get("padding") != "causal", "padding='causal' (TF.js Conv1D does not implement it)"
    )
    return _no_groups(config)


def _separable_conv(config: Config) -> Config:
    # Keras 2 also writes the unused kernel_* fields, which TF.js refuses for SeparableConv2D.
    unused = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
    return _no_groups({k: v for k, v in config.items() if k not in unused})


def _transpose_conv(config: Config) -> Config:
    _require(config.get("output_padding") is None, "output_padding (TF.js cannot set it)")
    dilation = config.get("dilation_rate", 1)
    _require(
        all(d == 1 for d in (dilation if isinstance(dilation, list) else [dilation])),
        f"dilation_rate={dilation} in a transposed convolution",
    )
    return _no_groups(config)


def _batch_normalization(config: Config) -> Config:
    _require(not config.get("renorm", False), "renorm=True")
    axis = config.get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    _require(isinstance(axis, int), f"axis={axis} (TF.js normalizes along one axis)")
    return {**config, "axis": axis}


def _layer_normalization(config: Config) -> Config:
    _require(not config.get("rms_scaling", False), "rms_scaling=True")
    return config


def _relu(config: Config) -> Config:
    _require(not config.get("negative_slope"), "negative_slope (TF.js ReLU has only max_value)")
    _require(not config.get("threshold"), "threshold (TF.js ReLU has only max_value)")
    return {k: v for k, v in config.items() if k not in ("negative_slope", "threshold")}


def _leaky_relu(config: Config) -> Config:
    out = dict(config)
    if "negative_slope" in out:
        out["alpha"] = out.pop("negative_slope")
    return out


def _elu(config: Config) -> Config:
    _require(float(config.get("alpha", 1.0)) == 1.0, "alpha other than 1.0 (TF.js ELU layer)")
    return config


def _upsampling(config: Config) -> Config:
    interpolation = config.get("interpolation", "nearest")
    _require(
        interpolation == "nearest",
        f"interpolation={interpolation!r} (TF.js resizes without half-pixel centers)",
    )
    return config


def _rescaling(config: Config) -> Config:
    for key in ("scale", "offset"):
        value = config.get(key, 0.0)
        _require(isinstance(value, (int, float)), f"{key}={value!r} (TF.js takes one number)")
    return config


def _recurrent(config: Config) -> Config:
    _require(not config.get("stateful", False), "stateful=True")
    _require(not config.get("time_major", False), "time_major=True")
    return config


def _gru(config: Config) -> Config:
    _require(
        not config.get("reset_after", False),
        "reset_after=True (TF.js GRU has only reset_after=False; use a graph model)",
    )
    return _recurrent(config)


_REWRITES: dict[str, Rewrite] = {
    **dict.fromkeys(
        (
            "Dense",
            "Dropout",
            "SpatialDropout1D",
            "AlphaDropout",
            "GaussianNoise",
            "GaussianDropout",
            "Activation",
            "Flatten",
            "Reshape",
            "Permute",
            "RepeatVector",
            "Masking",
            "Add",
            "Multiply",
            "Average",
            "Maximum",
            "Minimum",
            "Concatenate",
            "Dot",
            "Embedding",
            "PReLU",
            "Softmax",
            "ThresholdedReLU",
            "Cropping2D",
            "ZeroPadding2D",
            "MaxPooling1D",
            "MaxPooling2D",
            "MaxPooling3D",
            "AveragePooling1D",
            "AveragePooling2D",
            "AveragePooling3D",
            "CenterCrop",
        ),
        _keep,
    ),
    **dict.fromkeys(("Conv2D", "Conv3D", "DepthwiseConv2D"), _no_groups),
    "Conv1D": _conv1d,
    "SeparableConv2D": _separable_conv,
    **dict.fromkeys(("Conv2DTranspose", "Conv3DTranspose"), _transpose_conv),
    # keepdims=True becomes pooling + Reshape (see expansions.py).
    **dict.fromkeys(
        (
            "GlobalAveragePooling1D",
            "GlobalAveragePooling2D",
            "GlobalMaxPooling1D",
            "GlobalMaxPooling2D",
        ),
        _keep,
    ),
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "ReLU": _relu,
    "LeakyReLU": _leaky_relu,
    "ELU": _elu,
    "UpSampling2D": _upsampling,
    "Rescaling": _rescaling,
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _gru,
    "RNN": _recurrent,
    "SimpleRNNCell": _keep,
    "LSTMCell": _keep,
    "GRUCell": _gru,
    "ConvLSTM2D": _recurrent,
}

# TF.js registers these, but they compute differently from Keras or need configs we do not write.
_NOT_CONVERTED = {
    "Resizing": (
        "TF.js 4.22 Resizing fails inside a model (rank error) and aligns corners, unlike Keras"
    ),
    "CategoryEncoding": "TF.js 4.22 CategoryEncoding breaks the model's input shape check",
    "ConvLSTM2DCell": "Keras has no ConvLSTM2DCell to wrap in an RNN (use ConvLSTM2D)",
    "StackedRNNCells": "TF.js reads stacked cells only inside an RNN layer",
    "RandomWidth": "TF.js RandomWidth resizes at inference too; Keras passes inputs through",
}


_TENSORFLOW_CALLS = {
    "TFOpLambda": "a TensorFlow function called on a tensor (TF.js layers runs no TensorFlow ops)",
    "SlicingOpLambda": "a tensor sliced with [] (TF.js layers runs no TensorFlow ops)",
}
"""tf_keras layers that record a TensorFlow call made on a Keras tensor."""


def leaf_layer_classes() -> frozenset[str]:
    """Layer classes (other than models and wrappers) this module converts."""
    return frozenset(_REWRITES)


def refused_layer_classes() -> dict[str, str]:
    """TF.js layer classes this module refuses on their own, with the reason."""
    return dict(_NOT_CONVERTED)


def _common_checks(config: Config) -> None:
    data_format = config.get("data_format")
    _require(
        data_format in (None, "channels_last"),
        f"data_format={data_format!r} (only channels_last is converted)",
    )
    _require(config.get("quantization_config") is None, "quantized layer")
    _require(not config.get("lora_rank"), "LoRA-enabled layer")
    _require(not config.get("dtype_policy_quantized", False), "quantized layer")


def rewrite_leaf_config(class_name: str, config: Config, keras_major: int) -> Config:
    """The TF.js config of a layer of class ``class_name``, or ``UnsupportedConfig``."""
    rewrite = _REWRITES.get(class_name)
    if rewrite is None:
        if class_name in _NOT_CONVERTED:
            raise UnsupportedConfig(_NOT_CONVERTED[class_name])
        if class_name in tfjs_class_names("layers"):
            raise UnsupportedConfig("not converted by tfjs-build")
        if class_name in _TENSORFLOW_CALLS:
            raise UnsupportedConfig(_TENSORFLOW_CALLS[class_name])
        raise UnsupportedConfig("TF.js layers has no such class")
    if not isinstance(config, dict):
        raise UnsupportedConfig("config is not an object")
    _common_checks(config)
    return rewrite(rewrite_common_values(config, keras_major))
