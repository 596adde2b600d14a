"""Rewrite grouped ``Conv2D`` (Keras ``groups > 1``), which TF.js cannot run, into ops it can.

A Conv2D whose filter has fewer input channels than its input is grouped: TF.js requires them
equal. One input channel per group is a depthwise convolution (ConvNeXt's): the filter
``[h, w, 1, groups * m]`` is the depthwise filter ``[h, w, groups, m]`` with the same values in the
same order. Other groupings become Split, one Conv2D per group, and ConcatV2. Channel counts come
from TensorFlow's shape inference on the frozen graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.graph.graph_edit import DType, const_value, is_control, nodes_by_name, replace_nodes
from tfjs_build.graph.scope import Builder, Scope

DT_INT32 = 3


def _input_channels(graph_def: Any) -> dict[str, int]:
    """Static input-channel count of each NHWC Conv2D of the top-level graph, where known."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(_shapes_only(graph_def), name="")
    channels = {}
    for op in graph.get_operations():
        if op.type == "Conv2D" and op.get_attr("data_format") == b"NHWC":
            size = op.inputs[0].shape.with_rank_at_least(1)[-1] if op.inputs[0].shape.rank else None
            if size is not None:
                channels[op.name] = int(size)
    return channels


def _shapes_only(graph_def: Any) -> Any:
    """A copy of the top-level graph whose large floating-point constants hold one value (their
    shapes are what shape inference needs); importing the weights would copy them all twice."""
    from tensorflow.core.framework import graph_pb2

    skeleton = graph_pb2.GraphDef()
    skeleton.versions.CopyFrom(graph_def.versions)
    skeleton.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        tensor = node.attr["value"].tensor if node.op == "Const" else None
        if tensor is None or tensor.dtype not in _FLOAT_FIELDS or tensor.ByteSize() < 4096:
            skeleton.node.append(node)
            continue
        stand_in = skeleton.node.add(name=node.name, op="Const", input=node.input)
        stand_in.attr["dtype"].CopyFrom(node.attr["dtype"])
        value = stand_in.attr["value"].tensor
        value.dtype = tensor.dtype
        value.tensor_shape.CopyFrom(tensor.tensor_shape)
        getattr(value, _FLOAT_FIELDS[tensor.dtype]).append(0)
    return skeleton


# DataType enums of floating-point tensors, and the TensorProto field one value of them goes in
_FLOAT_FIELDS = {1: "float_val", 2: "double_val", 19: "half_val", 14: "half_val"}


def _filter_const(index: dict[str, Any], reference: str) -> Any | None:
    """The Const behind ``reference``, looking through Identity nodes."""
    node = index.get(reference.split(":")[0])
    while node is not None and node.op == "Identity":
        data = [r for r in node.input if not is_control(r)]
        node = index.get(data[0].split(":")[0]) if data else None
    return node if node is not None and node.op == "Const" else None


def _to_depthwise(b: Builder, weights: np.ndarray, groups: int) -> None:
    h, w, _, out = weights.shape
    node = b.node
    filter_ref = b.scope.ref(b.const(weights.reshape(h, w, groups, out // groups)))
    node.input[1] = filter_ref
    node.op = "DepthwiseConv2dNative"
    if "use_cudnn_on_gpu" in node.attr:
        del node.attr["use_cudnn_on_gpu"]


def _to_split_groups(b: Builder, weights: np.ndarray, groups: int) -> str:
    node = b.node
    per_group = weights.shape[3] // groups
    split = b.emit("Split", [b.ints(3), b.data[0]], {"num_split": groups})
    attrs = {k: v for k, v in node.attr.items() if k != "T"}
    outputs = []
    for g in range(groups):
        part = b.scope.ref(
            b.const(np.ascontiguousarray(weights[..., g * per_group : (g + 1) * per_group]))
        )
        outputs.append(b.op("Conv2D", f"{split.name}:{g}", part, attrs=attrs))
    return b.op("ConcatV2", *outputs, b.ints(3), attrs={"N": groups, "Tidx": DType(DT_INT32)})


def rewrite_grouped_convolutions(graph_def: Any) -> int:
    """Rewrite every grouped Conv2D with a constant filter; returns how many."""
    candidates = [n.name for n in graph_def.node if n.op == "Conv2D"]
    if not candidates:
        return 0
    channels = _input_channels(graph_def)
    index = nodes_by_name(graph_def)
    scope = Scope(graph_def)
    replaced: set[str] = set()
    rewritten = 0
    for name in candidates:
        node = index[name]
        data = [r for r in node.input if not is_control(r)]
        const = _filter_const(index, data[1])
        if const is None or name not in channels:
            continue
        dims = const.attr["value"].tensor.tensor_shape.dim
        if len(dims) != 4:
            continue
        per_group_in, out = dims[2].size, dims[3].size  # the values only for grouped ones
        groups = channels[name] // per_group_in if per_group_in > 0 else 0
        if groups <= 1 or channels[name] % per_group_in or out % groups:
            continue
        weights = const_value(const)
        builder = Builder(scope, node)
        if per_group_in == 1:
            _to_depthwise(builder, weights, groups)
        else:
            replaced.add(builder.take_over(_to_split_groups(builder, weights, groups)))
        rewritten += 1
    if replaced:
        replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in replaced])
    return rewritten
