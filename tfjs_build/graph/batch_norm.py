"""Spell out the ``FusedBatchNorm`` nodes TF.js would compute wrongly.

TF.js's FusedBatchNorm always uses the given mean and variance and treats the last axis as the
channels. tf_keras's LayerNormalization emits ``FusedBatchNormV3(is_training=True)`` on NCHW data
to compute the statistics of each sample; TF.js would return NaN for it. Such nodes (batch
statistics, or channels first; the op check flags both) become Mean, SquaredDifference, Rsqrt,
Mul and Add, the same math.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.graph.graph_edit import DType, node_of
from tfjs_build.graph.scope import Builder, Scope

BATCH_NORM_OPS = frozenset({"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"})


def _needs_expansion(node: Any) -> bool:
    channels_first = (
        node.attr["data_format"].s.startswith(b"NC") if "data_format" in node.attr else False
    )
    training = node.attr["is_training"].b if "is_training" in node.attr else False
    return training or channels_first


def only_first_output_read(scope: Scope, name: str) -> bool:
    """Whether readers of node ``name`` (and function results) use its first output only."""
    first = {name, f"{name}:0", f"{name}:y:0"}
    for node in scope.nodes:
        for reference in node.input:
            if (
                node_of(reference) == name
                and not reference.startswith("^")
                and reference not in first
            ):
                return False
    if scope.function is not None:
        return all(node_of(v) != name or v in first for v in scope.function.ret.values())
    return True


def _expand(b: Builder) -> str:
    x, scale, offset, mean, variance = b.data[:5]
    channels_first = b.node.attr["data_format"].s.startswith(b"NC")
    # 4-D: NCHW reduces over N, H, W; NHWC over N, H, W too, channels last.
    axes = [0, 2, 3] if channels_first else [0, 1, 2]
    param_shape = [1, -1, 1, 1] if channels_first else [-1]

    def per_channel(ref: str) -> str:
        return b.op("Reshape", ref, b.ints(param_shape), attrs={"Tshape": DType(3)})

    if b.node.attr["is_training"].b:
        reduction = b.ints(axes)
        keep = {"keep_dims": True, "Tidx": DType(3)}
        mean_ref = b.op("Mean", x, reduction, attrs=keep)
        var_ref = b.op("Mean", b.op("SquaredDifference", x, mean_ref), reduction, attrs=keep)
    else:
        mean_ref, var_ref = per_channel(mean), per_channel(variance)
    inv_std = b.op("Rsqrt", b.op("AddV2", var_ref, b.scalar(float(b.node.attr["epsilon"].f))))
    normalized = b.op("Mul", b.op("Sub", x, mean_ref), inv_std)
    return b.op("AddV2", b.op("Mul", normalized, per_channel(scale)), per_channel(offset))


def lower_batch_norm(b: Builder) -> str | None:
    """The plain ops of a batch norm TF.js would get wrong, or None when it gets it right or other
    outputs (batch statistics for training) are read."""
    if not _needs_expansion(b.node) or not only_first_output_read(b.scope, b.node.name):
        return None
    return _expand(b)
