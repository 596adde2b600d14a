"""Fuse convolutions and matmuls with what follows them, where TensorFlow's remapper does not.

The remapper fuses only an explicit ``BiasAdd``. After batch norms are folded, Keras graphs often
read ``Conv2D -> Mul(c) -> AddV2(b) -> Relu6`` or, with default batch-norm statistics, just
``Conv2D -> Relu6``. TF.js's fused kernels take a bias and one activation, so such a chain becomes
one ``_FusedConv2D`` / ``FusedDepthwiseConv2dNative`` / ``_FusedMatMul``: a per-channel ``Mul`` by a
constant is folded into the constant filter, a per-channel constant ``Add`` becomes the bias, and an
activation every target backend implements is fused (with a zero bias when there is none).
Top-level graph only; nodes that are graph outputs are never swallowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tfjs_build.graph.fusion import DT_FLOAT, common_activations
from tfjs_build.graph.graph_edit import (
    const_value,
    consumers,
    is_control,
    node_of,
    nodes_by_name,
    replace_nodes,
)
from tfjs_build.graph.scope import Scope

FUSED_NAME = {
    "Conv2D": "_FusedConv2D",
    "DepthwiseConv2dNative": "FusedDepthwiseConv2dNative",
    "MatMul": "_FusedMatMul",
}
PLAIN_OF = {fused: plain for plain, fused in FUSED_NAME.items()}
ADD_OPS = frozenset({"BiasAdd", "Add", "AddV2"})
_CONTRACTION_ATTRS = {
    "Conv2D": (
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
        "use_cudnn_on_gpu",
    ),
    "DepthwiseConv2dNative": (
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
    ),
    "MatMul": ("transpose_a", "transpose_b"),
}


class _Graph:
    """Lookups over the top-level nodes, refreshed after each fusion."""

    def __init__(self, graph_def: Any, protected: set[str]) -> None:
        self.graph_def, self.protected = graph_def, protected
        self.refresh()

    def refresh(self) -> None:
        self.index = nodes_by_name(self.graph_def)
        self.readers = consumers(self.graph_def)

    def sole_reader(self, node: Any) -> Any | None:
        """The one node reading ``node`` (its first output, as data), if exactly one does."""
        if node.name in self.protected:
            return None
        readers = self.readers.get(node.name, [])
        if len(readers) != 1:
            return None
        reader = readers[0]
        data = [r for r in reader.input if node_of(r) == node.name]
        if any(is_control(r) or r not in (node.name, f"{node.name}:0") for r in data):
            return None
        return reader

    def const(self, reference: str) -> np.ndarray | None:
        node = self.index.get(node_of(reference))
        if node is None or node.op != "Const" or reference not in (node.name, f"{node.name}:0"):
            return None
        return const_value(node)


def _channels(op: str, node: Any, weights: np.ndarray) -> int:
    if op == "Conv2D":
        return int(weights.shape[3])
    if op == "DepthwiseConv2dNative":
        return int(weights.shape[2] * weights.shape[3])
    return int(weights.shape[0] if node.attr["transpose_b"].b else weights.shape[1])


def _per_channel(value: np.ndarray | None, channels: int) -> np.ndarray | None:
    """``value`` as a [channels] vector if it broadcasts like one along the last axis."""
    if value is None or value.dtype != np.float32:
        return None
    if value.ndim == 0:
        return np.full(channels, value, dtype=np.float32)
    if value.shape[-1] == channels and all(d == 1 for d in value.shape[:-1]):
        return value.reshape(channels)
    return None


def _scale_weights(op: str, node: Any, weights: np.ndarray, scale: np.ndarray) -> np.ndarray:
    if op == "DepthwiseConv2dNative":
        h, w, c, m = weights.shape
        return np.asarray(weights.reshape(h, w, c * m) * scale).reshape(h, w, c, m)
    if op == "MatMul" and node.attr["transpose_b"].b:
        return np.asarray(weights * scale[:, None])
    return np.asarray(weights * scale)


def _other_input(reader: Any, name: str) -> str | None:
    data = [r for r in reader.input if not is_control(r)]
    if len(data) != 2:
        return None
    return str(data[1] if node_of(data[0]) == name else data[0])


def _adds_along_last_axis(reader: Any, name: str) -> bool:
    if reader.op != "BiasAdd":
        return True
    channels_last = reader.attr["data_format"].s in (b"", b"NHWC")
    return channels_last and node_of(reader.input[0]) == name


def _start(graph: _Graph, node: Any) -> tuple[str, np.ndarray, np.ndarray | None] | None:
    """The plain op, constant weights and bias (if any) of a chain head, or None if no head."""
    plain = PLAIN_OF.get(node.op, node.op)
    data = [r for r in node.input if not is_control(r)]
    if node.op in PLAIN_OF and (
        list(node.attr["fused_ops"].list.s) != [b"BiasAdd"] or len(data) != 3
    ):
        return None
    if node.op not in PLAIN_OF and len(data) != 2:
        return None
    weights = graph.const(data[1])
    if weights is None or weights.dtype != np.float32:
        return None
    bias = None
    if node.op in PLAIN_OF:
        bias = _per_channel(graph.const(data[2]), _channels(plain, node, weights))
        if bias is None:
            return None
    return plain, weights, bias


def _fuse_one(graph: _Graph, scope: Scope, node: Any, activations: frozenset[str]) -> list[str]:
    """Fuse the chain starting at ``node``; return the names of the nodes it replaces."""
    start = _start(graph, node)
    if start is None:
        return []
    plain, weights, bias = start
    channels = _channels(plain, node, weights)
    chain, last = [node], node
    reader = graph.sole_reader(last)
    while reader is not None:  # absorb per-channel constant scales and shifts (folded batch norms)
        other = graph.const(_other_input(reader, last.name) or "")
        if reader.op == "Mul" and (scale := _per_channel(other, channels)) is not None:
            weights = _scale_weights(plain, node, weights, scale)
            bias = None if bias is None else bias * scale
        elif reader.op in ADD_OPS and _adds_along_last_axis(reader, last.name):
            shift = _per_channel(other, channels)
            if shift is None:
                break
            bias = shift if bias is None else bias + shift
        else:
            break
        chain.append(reader)
        last, reader = reader, graph.sole_reader(reader)
    activation = None
    if reader is not None and reader.op in activations and reader.attr["T"].type == DT_FLOAT:
        activation = reader
        chain.append(reader)
    if len(chain) == 1:
        return []
    if bias is None:
        bias = np.zeros(channels, dtype=np.float32)
    return _emit_fused(scope, node, plain, chain, weights, bias, activation)


def _emit_fused(
    scope: Scope,
    node: Any,
    plain: str,
    chain: list[Any],
    weights: np.ndarray,
    bias: np.ndarray,
    activation: Any,
) -> list[str]:
    """Add the fused node under the chain's last name; return the chain's (renamed) names."""
    last = chain[-1]
    removed = []
    filter_const = scope.add_const(scope.unique(f"{last.name}/fused_weights"), weights)
    bias_const = scope.add_const(scope.unique(f"{last.name}/fused_bias"), bias)
    data = [r for r in node.input if not is_control(r)]
    controls = sorted({r for n in chain for r in n.input if is_control(r)})
    fused_ops = [b"BiasAdd"] + ([activation.op.encode()] if activation is not None else [])
    name = last.name
    for member in chain:  # left unread and without inputs; removed once all chains are fused
        member.name = scope.unique(f"{member.name}/_fused_away")
        del member.input[:]
        removed.append(member.name)
    fused = scope.add(
        FUSED_NAME[plain], name, [data[0], filter_const.name, bias_const.name, *controls]
    )
    fused.attr["T"].type = DT_FLOAT
    for key in _CONTRACTION_ATTRS[plain]:
        if key in node.attr:
            fused.attr[key].CopyFrom(node.attr[key])
    fused.attr["num_args"].i = 1
    fused.attr["fused_ops"].list.s.extend(fused_ops)
    fused.attr["epsilon"].f = 0.0
    alpha = (
        activation.attr["alpha"].f
        if activation is not None and activation.op == "LeakyRelu"
        else 0.2
    )
    fused.attr["leakyrelu_alpha"].f = alpha
    if plain == "Conv2D":
        fused.attr["TArgs"].list.type.append(DT_FLOAT)
        fused.attr["num_host_args"].i = 0
    return removed


def fuse_contractions(graph_def: Any, backends: Sequence[str], protected: set[str]) -> int:
    """Fuse every foldable contraction chain of the top-level graph; returns how many."""
    activations = common_activations(backends)
    graph = _Graph(graph_def, protected)
    scope = Scope(graph_def)
    fused = 0
    removed: set[str] = set()
    heads = [n.name for n in graph_def.node if n.op in FUSED_NAME or n.op in PLAIN_OF]
    for name in heads:
        node = graph.index.get(name)
        if node is None or node.attr["T"].type != DT_FLOAT:
            continue
        if PLAIN_OF.get(node.op, node.op) != "MatMul" and node.attr["data_format"].s not in (
            b"",
            b"NHWC",
        ):
            continue  # per-channel constants below are read along the last axis
        replaced = _fuse_one(graph, scope, node, activations)
        if replaced:
            fused += 1
            removed.update(replaced)
            graph.refresh()
    if removed:
        replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in removed])
    return fused
