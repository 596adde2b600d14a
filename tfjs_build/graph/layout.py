"""Run channels-first convolutions, pools and bias adds channels-last, between two transposes.

TF1 models trained on GPUs are NCHW. TF.js's wasm backend refuses channels-first convolutions and
pools, TF.js adds a channels-first ``BiasAdd``'s bias along the wrong axis, and its channels-first
depthwise convolution is wrong on every backend. Grappler's layout optimizer converts what it can
(see ``grappler``); what it leaves (unknown ranks, function bodies) is lowered here: transpose the
input to NHWC, run the op channels-last with its strides, dilations, window and paddings permuted
to match, transpose the result back. Exact: the same arithmetic on permuted data. Transposes that
undo each other are then removed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.graph.graph_edit import DType, const_value, is_control
from tfjs_build.graph.scope import Builder, all_scopes

TO_CHANNELS_LAST = [0, 2, 3, 1]
TO_CHANNELS_FIRST = [0, 3, 1, 2]
CHANNELS_FIRST_OPS = frozenset(
    {
        "Conv2D",
        "DepthwiseConv2dNative",
        "_FusedConv2D",
        "FusedDepthwiseConv2dNative",
        "BiasAdd",
        "MaxPool",
        "AvgPool",
    }
)
_PER_DIMENSION = ("strides", "dilations", "ksize")
DT_INT32 = 3


def _permuted(value: Any, pairs: bool) -> Any:
    """A copy of a per-dimension list attribute in NHWC order (``pairs``: two entries per dim)."""
    from tensorflow.core.framework import attr_value_pb2

    copy = attr_value_pb2.AttrValue()
    copy.CopyFrom(value)
    items = list(value.list.i)
    if pairs:
        items = [v for d in TO_CHANNELS_LAST for v in items[2 * d : 2 * d + 2]]
    else:
        items = [items[d] for d in TO_CHANNELS_LAST]
    del copy.list.i[:]
    copy.list.i.extend(items)
    return copy


def channels_last(b: Builder) -> str | None:
    """A 4-D channels-first node as Transpose, the node channels-last, Transpose back."""
    node = b.node
    if node.attr["data_format"].s != b"NCHW":
        return None
    attrs = dict(node.attr)
    attrs["data_format"] = b"NHWC"
    for key in _PER_DIMENSION:
        if key in node.attr and len(node.attr[key].list.i) == 4:
            attrs[key] = _permuted(node.attr[key], pairs=False)
    if len(node.attr["explicit_paddings"].list.i) == 8:
        attrs["explicit_paddings"] = _permuted(node.attr["explicit_paddings"], pairs=True)
    x, *rest = b.data
    perm = {"Tperm": DType(DT_INT32)}
    moved = b.op("Transpose", x, b.ints(TO_CHANNELS_LAST), attrs=perm)
    inner = b.emit(node.op, [moved, *rest], attrs, typed=False)
    return b.op("Transpose", b.scope.ref(inner), b.ints(TO_CHANNELS_FIRST), attrs=perm)


def _perm(scope_nodes: dict[str, Any], node: Any) -> list[int] | None:
    data = [r for r in node.input if not is_control(r)]
    source = scope_nodes.get(data[1].split(":")[0]) if len(data) == 2 else None
    if source is None or source.op != "Const":
        return None
    return [int(v) for v in np.asarray(const_value(source)).reshape(-1)]


def cancel_transposes(graph_def: Any) -> int:
    """Turn each Transpose that undoes the Transpose it reads into an Identity of the original."""
    cancelled = 0
    for scope in all_scopes(graph_def):
        nodes = {node.name: node for node in scope.nodes}
        for node in scope.nodes:
            if node.op != "Transpose":
                continue
            inner = nodes.get(node.input[0].split(":")[0])
            if inner is None or inner.op != "Transpose" or node.input[0] != scope.ref(inner):
                continue
            outer_perm, inner_perm = _perm(nodes, node), _perm(nodes, inner)
            if outer_perm is None or inner_perm is None or len(outer_perm) != len(inner_perm):
                continue
            if any(inner_perm[p] != i for i, p in enumerate(outer_perm)):
                continue
            controls = [r for r in node.input if is_control(r)]
            del node.input[:]
            node.input.extend([inner.input[0], *controls])
            del node.attr["Tperm"]
            node.op = "Identity"
            scope.retarget_first_output(node.name, "Transpose", "Identity")
            cancelled += 1
    return cancelled
