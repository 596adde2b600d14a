"""Decompositions of the ops Grappler and oneDNN make that TF.js does not have.

Grappler's arithmetic optimizer merges chains of unary ops into ``_UnaryOpsComposition``; its
remapper fuses a batch norm with its activation into ``_FusedBatchNormEx`` and, in TensorFlow
builds with oneDNN, emits ``_MklSwish``, ``_MklFusedMish`` and ``_MklLayerNorm``. Each becomes
the plain ops it stands for, with the same arithmetic. Fused contractions are split by
``fusion``. Each function returns a reference to the last node it emitted, or None (before
emitting anything) for a form it does not handle.
"""

from __future__ import annotations

from collections.abc import Callable

from tfjs_build.graph.batch_norm import only_first_output_read
from tfjs_build.graph.fusion import ACTIVATION_EXPANSIONS
from tfjs_build.graph.graph_edit import DType
from tfjs_build.graph.scope import Builder, attr_names

BATCH_NORM_ACTIVATIONS = frozenset({"Identity", "Relu", "Relu6", "Elu"})
DT_INT32 = 3


def unary_chain(b: Builder) -> str | None:
    """``_UnaryOpsComposition``: its ``op_names`` applied one after the other."""
    names = [name.decode() for name in b.node.attr["op_names"].list.s]
    if not names or any(attr_names(name) is None for name in names):
        return None
    x = b.data[0]
    for name in names:
        x = b.op(name, x)
    return x


def batch_norm_with_activation(b: Builder) -> str | None:
    """``_FusedBatchNormEx``: FusedBatchNormV3, plus its side input, then its activation."""
    node = b.node
    activation = node.attr["activation_mode"].s.decode()
    if activation not in BATCH_NORM_ACTIVATIONS or node.attr["is_training"].b:
        return None
    if not only_first_output_read(b.scope, node.name):
        return None
    keep = ("T", "U", "epsilon", "exponential_avg_factor", "data_format")
    attrs = {key: node.attr[key] for key in keep if key in node.attr}
    attrs["is_training"] = False
    normalized = b.scope.ref(b.emit("FusedBatchNormV3", b.data[:5], attrs))
    if node.attr["num_side_inputs"].i:
        normalized = b.op("AddV2", normalized, b.data[5])
    return normalized if activation == "Identity" else b.op(activation, normalized)


def layer_norm(b: Builder) -> str | None:
    """``_MklLayerNorm``: normalize over the last axis, then scale and offset."""
    x, scale, offset = b.data[:3]
    axis = b.ints([-1])
    keep = {"keep_dims": True, "Tidx": DType(DT_INT32)}
    mean = b.op("Mean", x, axis, attrs=keep)
    variance = b.op("Mean", b.op("SquaredDifference", x, mean), axis, attrs=keep)
    inv_std = b.op("Rsqrt", b.op("AddV2", variance, b.scalar(float(b.node.attr["epsilon"].f))))
    normalized = b.op("Mul", b.op("Sub", x, mean), inv_std)
    return b.op("AddV2", b.op("Mul", normalized, scale), offset)


def _activation(name: str) -> Callable[[Builder], str]:
    expansion = ACTIVATION_EXPANSIONS[name]

    def lower(b: Builder) -> str:
        return expansion(b, b.data[0])

    return lower


PRODUCTS: dict[str, Callable[[Builder], str | None]] = {
    "_UnaryOpsComposition": unary_chain,
    "_FusedBatchNormEx": batch_norm_with_activation,
    "_MklLayerNorm": layer_norm,
    "_MklSwish": _activation("_MklSwish"),
    "_MklFusedMish": _activation("Mish"),
}
