"""The variables each layer class owns, named as TF.js names them, in Keras creation order."""

from __future__ import annotations

from typing import Any

Config = dict[str, Any]
_KERNEL_LAYERS = frozenset(
    {"Dense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose"}
)
RECURRENT_LAYERS = frozenset({"SimpleRNN", "LSTM", "GRU", "ConvLSTM2D"})
RNN_CELLS = frozenset({"SimpleRNNCell", "LSTMCell", "GRUCell"})


def variable_names(class_name: str, config: Config) -> list[str]:
    """The variables of a (non-model) layer, relative to its name, in Keras creation order."""
    bias = ["bias"] if config.get("use_bias", True) else []
    if class_name in _KERNEL_LAYERS:
        return ["kernel", *bias]
    if class_name == "DepthwiseConv2D":
        return ["depthwise_kernel", *bias]
    if class_name == "SeparableConv2D":
        return ["depthwise_kernel", "pointwise_kernel", *bias]
    if class_name in RECURRENT_LAYERS | RNN_CELLS:
        return ["kernel", "recurrent_kernel", *bias]
    if class_name == "RNN":
        return variable_names(config["cell"]["class_name"], config["cell"]["config"])
    if class_name == "StackedRNNCells":
        # TF.js builds cell i of a stack in the name scope RNNCell_i.
        return [
            f"RNNCell_{index}/{var}"
            for index, cell in enumerate(config["cells"])
            for var in variable_names(cell["class_name"], cell["config"])
        ]
    if class_name == "Embedding":
        return ["embeddings"]
    if class_name == "PReLU":
        return ["alpha"]
    if class_name in ("BatchNormalization", "LayerNormalization"):
        affine = (["gamma"] if config.get("scale", True) else []) + (
            ["beta"] if config.get("center", True) else []
        )
        if class_name == "LayerNormalization":
            return affine
        renorm = ["moving_stddev", "renorm_mean", "renorm_stddev"] if config.get("renorm") else []
        return [*affine, "moving_mean", "moving_variance", *renorm]
    if class_name == "LayerScale":
        return ["gamma"]
    if class_name == "Normalization":
        # statistics given in the config are constants; adapted ones are weights
        return [] if config.get("mean") is not None else ["mean", "variance", "count"]
    if class_name == "Bidirectional":
        inner = config["layer"]
        inner_names = variable_names(inner["class_name"], inner["config"])
        name = inner["config"]["name"]
        return [f"{side}_{name}/{var}" for side in ("forward", "backward") for var in inner_names]
    if class_name == "TimeDistributed":
        inner = config["layer"]
        return variable_names(inner["class_name"], inner["config"])
    return []
