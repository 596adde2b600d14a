"""Run TensorFlow's Grappler over a frozen graph with the passes that help TF.js.

Debug stripping, constant folding (a batch norm's statistics into one scale and one offset),
arithmetic simplification, dependency pruning and the remapper (which fuses contractions with bias
adds and activations). The large constant filters of convolutions and matmuls, nearly all of a
model's bytes, stay out of Grappler as placeholders and come back afterwards, so that its copies of
the graph are small. Grappler makes CPU-only ops TF.js lacks out of nodes placed on the CPU: the
arithmetic optimizer merges unary chains into ``_UnaryOpsComposition``, the remapper of oneDNN
builds emits ``_MklSwish`` and friends. So only contractions are placed, which is all the remapper
needs to fuse them; what it still makes (``_FusedBatchNormEx``, fusions TF.js lacks) is lowered
afterwards (``fusion``, ``lowerings``).

Channels-first graphs first go through Grappler's layout optimizer alone, every node placed, which
rewrites NCHW convolutions, pools, bias adds and batch norms to NHWC with one transpose at each end
of each channels-first region.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tfjs_build._optional import import_tensorflow
from tfjs_build.graph.freeze import FrozenGraph
from tfjs_build.graph.graph_edit import is_control, node_of, replace_nodes

OPTIMIZERS: tuple[str, ...] = (
    "debug_stripper",
    "constfold",
    "arithmetic",
    "dependency",
    "remap",
    "constfold",
    "dependency",
)
CPU_DEVICE = "/device:CPU:0"
PLACED_OPS = frozenset(
    {"Conv2D", "Conv3D", "DepthwiseConv2dNative", "MatMul", "BatchMatMul", "BatchMatMulV2"}
)
"""The contractions the remapper fuses with what follows them."""


def _meta_graph(frozen: FrozenGraph) -> Any:
    """The MetaGraphDef Grappler reads, serialized: the graph, its signature and its fetches.

    Built from the GraphDef directly (importing it into a ``tf.Graph`` to export it again would
    hold every constant twice more), and serialized without a second copy of the GraphDef.
    """
    tf = import_tensorflow()
    from tensorflow.core.protobuf import meta_graph_pb2
    from tensorflow.python.framework import meta_graph

    meta = meta_graph_pb2.MetaGraphDef()
    info = meta.meta_info_def
    info.tensorflow_version = tf.version.VERSION
    info.tensorflow_git_version = tf.version.GIT_VERSION
    info.stripped_op_list.CopyFrom(meta_graph.stripped_op_list_for_graph(frozen.graph_def))
    signature = meta.signature_def["tfjs_build"]
    for entries, bindings in (
        (signature.inputs, frozen.inputs),
        (signature.outputs, frozen.outputs),
    ):
        for binding in bindings:
            entry = entries[binding.key]
            entry.name = binding.tensor
            entry.dtype = tf.as_dtype(binding.dtype).as_datatype_enum
            if binding.shape is None:
                entry.tensor_shape.unknown_rank = True
            else:
                for size in binding.shape:
                    entry.tensor_shape.dim.add().size = size
    fetches = meta.collection_def["train_op"].node_list.value
    fetches.extend(dict.fromkeys(b.node for b in frozen.outputs))
    graph = frozen.graph_def.SerializeToString(deterministic=True)
    return _SerializedMetaGraph(
        b"".join(
            (
                _field_header(_GRAPH_DEF_FIELD, len(graph)),
                graph,
                meta.SerializeToString(deterministic=True),
            )
        )
    )


_GRAPH_DEF_FIELD = 2  # MetaGraphDef.graph_def


def _field_header(number: int, length: int) -> bytes:
    """The protobuf wire-format header of a length-delimited field."""
    header = bytearray()
    for value in (number << 3 | 2, length):
        while value > 0x7F:
            header.append(value & 0x7F | 0x80)
            value >>= 7
        header.append(value)
    return bytes(header)


class _SerializedMetaGraph:
    """A MetaGraphDef in wire format; ``OptimizeGraph`` only asks it for its bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def SerializeToString(self) -> bytes:
        return self._data


def _config(optimizers: Sequence[str]) -> Any:
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2

    config = config_pb2.ConfigProto()
    rewrites = config.graph_options.rewrite_options
    rewrites.optimizers.extend(optimizers)
    rewrites.min_graph_nodes = -1
    rewrites.meta_optimizer_iterations = 1  # ONE: the optimizer list already repeats passes
    rewrites.cpu_layout_conversion = rewriter_config_pb2.RewriterConfig.NCHW_TO_NHWC
    return config


def _channels_first(graph_def: Any) -> bool:
    return any(
        node.attr["data_format"].s.startswith(b"NC")
        for node in graph_def.node
        if "data_format" in node.attr
    )


HELD_OUT_BYTES: int | None = 64 * 1024
"""Constant filters at least this large are held out of Grappler (see :func:`_hold_out_filters`);
None holds out nothing."""
FILTER_READERS = frozenset({"Conv2D", "Conv3D", "MatMul"})
"""Ops whose second input is a filter or a kernel that Grappler only reads (depthwise filters are
small: they stay)."""


def _hold_out_filters(graph_def: Any, min_bytes: int) -> dict[str, bytes]:
    """Turn every constant of ``min_bytes`` or more that only contractions read, as their filter
    or kernel (directly or through identities; control dependencies aside), into a placeholder of its dtype and shape; return the
    constants' serialized NodeDefs by name.

    Grappler's Python binding holds about seven copies of the graph during its call, and the
    filters are nearly all of a model's bytes. Grappler only reads them: the remapper fuses a
    contraction whatever its filter, and a per-channel multiplication after it (a batch norm's
    scale) is folded into the constant filter by ``fuse_contractions`` afterwards.
    """
    readers: dict[str, list[tuple[Any, int]]] = {}
    for node in graph_def.node:
        for index, reference in enumerate(node.input):
            readers.setdefault(node_of(reference), []).append(
                (node, -1 if is_control(reference) else index)
            )

    def read_as_filter_only(name: str) -> bool:
        uses = readers.get(name, [])
        return bool(uses) and all(
            index == -1
            or (reader.op in FILTER_READERS and index == 1)
            or (reader.op == "Identity" and read_as_filter_only(reader.name))
            for reader, index in uses
        )

    held: dict[str, bytes] = {}
    for node in graph_def.node:
        if node.op != "Const":
            continue
        tensor = node.attr["value"].tensor
        if len(tensor.tensor_content) < min_bytes or not read_as_filter_only(node.name):
            continue
        held[node.name] = node.SerializeToString(deterministic=True)
        dtype, shape = tensor.dtype, tensor.tensor_shape.SerializeToString(deterministic=True)
        node.op = "Placeholder"
        node.ClearField("attr")
        node.attr["dtype"].type = dtype
        node.attr["shape"].shape.ParseFromString(shape)
    return held


def _put_back(graph_def: Any, held: dict[str, bytes]) -> None:
    """Make the placeholders of :func:`_hold_out_filters` the constants they were. One that only
    control dependencies still read (Grappler keeps those on placeholders, and drops them on
    constants) goes, with those dependencies."""
    read: set[str] = set()
    for node in graph_def.node:
        read.update(node_of(r) for r in node.input if not is_control(r))
    unread = {name for name in held if name not in read}
    for node in graph_def.node:
        if unread and any(is_control(r) and node_of(r) in unread for r in node.input):
            kept = [r for r in node.input if not (is_control(r) and node_of(r) in unread)]
            del node.input[:]
            node.input.extend(kept)
    replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in unread])
    for node in graph_def.node:
        if node.op == "Placeholder" and node.name in held:
            node.ParseFromString(held.pop(node.name))


def _optimize(frozen: FrozenGraph, optimizers: Sequence[str], placed: frozenset[str] | None) -> Any:
    """Grappler's ``optimizers`` over ``frozen``, with nodes of ``placed`` ops (all if None) on the
    CPU; the result has no device placements.

    Takes the GraphDef out of ``frozen`` (``frozen.graph_def`` is None afterwards): Grappler gets it
    serialized, and holding the original too would keep one more copy of every weight.
    """
    from tensorflow.python.grappler import tf_optimizer

    _place_on_cpu(frozen.graph_def.node, placed)
    held = {} if HELD_OUT_BYTES is None else _hold_out_filters(frozen.graph_def, HELD_OUT_BYTES)
    meta_graph = _meta_graph(frozen)
    frozen.graph_def = None
    optimized = tf_optimizer.OptimizeGraph(_config(optimizers), meta_graph)
    del meta_graph
    _put_back(optimized, held)
    _place_on_cpu(optimized.node, frozenset())
    for function in optimized.library.function:
        _place_on_cpu(function.node_def, frozenset())
    return optimized


def _place_on_cpu(nodes: Any, ops: frozenset[str] | None) -> None:
    """Place the nodes of ``ops`` (all if None) on the CPU, the others nowhere."""
    for node in nodes:
        node.device = CPU_DEVICE if ops is None or node.op in ops else ""


def run_grappler(frozen: FrozenGraph, optimizers: Sequence[str] = OPTIMIZERS) -> Any:
    """The optimized GraphDef (inputs, outputs and the function library kept); takes the GraphDef
    out of ``frozen``."""
    import_tensorflow()
    if _channels_first(frozen.graph_def):
        frozen = replace(frozen, graph_def=_optimize(frozen, ["layout"], placed=None))
    return _optimize(frozen, optimizers, placed=PLACED_OPS)
