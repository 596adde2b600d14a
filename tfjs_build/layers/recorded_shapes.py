"""The input shapes of a layer in a model config, as far as the file records them.

Keras 3 writes every call argument's shape into ``inbound_nodes`` (and ``build_config``); Keras 2
writes only the inputs' shapes, so for its layers only the rank is derived, through the layer
classes that set it. Expansions that depend on a shape (which axis is last, how many channels)
use these; ``None`` means the file does not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Config = dict[str, Any]
Shape = tuple[int | None, ...]
_KERAS_TENSOR = "__keras_tensor__"

# Classes whose output has the rank of their (largest) input.
_SAME_RANK = frozenset(
    {
        "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average",
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BatchNormalization",
        "CenterCrop", "Concatenate", "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose",
        "Conv3D", "Conv3DTranspose", "Cropping1D", "Cropping2D", "Cropping3D", "Dense",
        "DepthwiseConv1D", "DepthwiseConv2D", "Dropout", "ELU", "GaussianDropout",
        "GaussianNoise", "LayerNormalization", "LeakyReLU", "Masking", "MaxPooling1D",
        "MaxPooling2D", "MaxPooling3D", "Maximum", "Minimum", "Multiply", "Normalization",
        "PReLU", "Permute", "ReLU", "Rescaling", "Resizing", "SeparableConv1D",
        "SeparableConv2D", "Softmax", "SpatialDropout1D", "SpatialDropout2D",
        "SpatialDropout3D", "Subtract", "ThresholdedReLU", "UnitNormalization", "UpSampling1D",
        "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    }
)  # fmt: skip
_RECURRENT = frozenset({"SimpleRNN", "LSTM", "GRU", "RNN"})


def _tensor_shapes(value: Any, found: list[Shape | None]) -> None:
    if isinstance(value, dict) and value.get("class_name") == _KERAS_TENSOR:
        shape = value.get("config", {}).get("shape")
        found.append(_as_shape(shape))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensor_shapes(item, found)


def _as_shape(shape: Any) -> Shape | None:
    if not isinstance(shape, (list, tuple)):
        return None
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape):
        return None
    return tuple(shape)


def recorded_input_shapes(entry: Config) -> list[Shape | None] | None:
    """The shapes of the tensors a Keras 3 layer entry is first called with, in argument order
    (``build_config`` for a layer of a Sequential model); ``None`` when the entry records none."""
    for node in entry.get("inbound_nodes") or []:
        if isinstance(node, dict):
            found: list[Shape | None] = []
            _tensor_shapes(node.get("args", []), found)
            return found or None
        return None
    build = entry.get("build_config")
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_as_shape(s) for s in shape]
    single = _as_shape(shape)
    return [single] if single is not None else None


def output_rank(
    class_name: str, config: Config, ranks: Sequence[int | None], index: int
) -> int | None:
    """The rank of output ``index`` of a layer given its input ranks (``None``: unknown)."""
    known = [r for r in ranks if r is not None]
    if not known or len(known) != len(ranks):
        return None
    rank = max(known)
    if class_name in _SAME_RANK:
        return rank if index == 0 else None
    if class_name == "Flatten":
        return 2
    if class_name == "Reshape":
        target = config.get("target_shape")
        return len(target) + 1 if isinstance(target, (list, tuple)) else None
    if class_name == "RepeatVector":
        return 3
    if class_name == "Embedding":
        return rank + 1
    if class_name.startswith("Global") and "Pooling" in class_name:
        return rank if config.get("keepdims") else 2
    if class_name == "ConvLSTM2D":
        return (5 if config.get("return_sequences") else 4) if index == 0 else 4
    if class_name in _RECURRENT | {"Bidirectional"}:
        inner = (
            config.get("layer", {}).get("config", config)
            if class_name == "Bidirectional"
            else config
        )
        if index == 0:
            return 3 if inner.get("return_sequences") else 2
        return 2
    if class_name == "TimeDistributed":
        inner = config.get("layer") or {}
        inner_rank = output_rank(
            inner.get("class_name", ""), inner.get("config", {}), [rank - 1], 0
        )
        return None if inner_rank is None else inner_rank + 1
    return None


Ref = Sequence[Any]


class RankTracker:
    """The shapes of a functional model's tensors, from its inputs, layer by layer in config
    order (for Keras 2 files, which record no other shapes): an input's shape as declared, any
    other tensor's rank. Nodes are Keras 2 call lists."""

    def __init__(self, nested_outputs: dict[str, list[int | None]]) -> None:
        self._nested_outputs = nested_outputs
        self._fixed: dict[str, list[Shape | None]] = {}
        self._calls: dict[str, tuple[str, Config, list[list[int | None]]]] = {}

    def shape(self, ref: Ref) -> Shape | None:
        """The shape of tensor ``[layer, node, tensor, ...]`` (dimensions ``None`` past inputs)."""
        name, node, tensor = ref[0], int(ref[1]), int(ref[2])
        if name in self._fixed:
            shapes = self._fixed[name]
            return shapes[tensor] if tensor < len(shapes) else None
        call = self._calls.get(name)
        if call is None or node >= len(call[2]):
            return None
        return _unknown(output_rank(call[0], call[1], call[2][node], tensor))

    def rank(self, ref: Ref) -> int | None:
        """The rank of tensor ``[layer, node, tensor, ...]``."""
        shape = self.shape(ref)
        return None if shape is None else len(shape)

    def input_shapes(self, nodes: list[Any]) -> list[Shape | None] | None:
        """The shapes of the tensors of a layer's first call."""
        return [self.shape(ref) for ref in nodes[0]] if nodes else None

    def add(self, layer: Config, nodes: list[Any]) -> None:
        """Record a rewritten layer called on ``nodes``."""
        class_name, config = layer["class_name"], layer.get("config") or {}
        name = str(config.get("name"))
        if class_name == "InputLayer":
            self._fixed[name] = [_as_shape(config.get("batch_input_shape"))]
        elif name in self._nested_outputs:
            self._fixed[name] = [_unknown(r) for r in self._nested_outputs[name]]
        else:
            self._calls[name] = (class_name, config, [[self.rank(r) for r in n] for n in nodes])


def _unknown(rank: int | None) -> Shape | None:
    return None if rank is None else (None,) * rank
