"""Run TensorFlow's Grappler over a frozen graph with the passes that help TF.js.

Debug stripping, constant folding (which also folds batch norms into convolution filters),
arithmetic simplification, dependency pruning and the remapper (which fuses contractions with bias
adds and activations). Grappler makes CPU-only ops TF.js lacks out of nodes placed on the CPU: the
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
    tf = import_tensorflow()
    from tensorflow.core.protobuf import meta_graph_pb2

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(frozen.graph_def, name="")
    meta = tf.compat.v1.train.export_meta_graph(graph_def=frozen.graph_def, graph=graph)
    signature = meta_graph_pb2.SignatureDef()
    for entries, bindings in (
        (signature.inputs, frozen.inputs),
        (signature.outputs, frozen.outputs),
    ):
        for binding in bindings:
            info = entries[binding.key]
            info.name = binding.tensor
            info.dtype = tf.as_dtype(binding.dtype).as_datatype_enum
            if binding.shape is None:
                info.tensor_shape.unknown_rank = True
            else:
                for size in binding.shape:
                    info.tensor_shape.dim.add().size = size
    meta.signature_def["tfjs_build"].CopyFrom(signature)
    fetches = meta.collection_def["train_op"].node_list.value
    fetches.extend(dict.fromkeys(b.node for b in frozen.outputs))
    return meta


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


def _optimize(frozen: FrozenGraph, optimizers: Sequence[str], placed: frozenset[str] | None) -> Any:
    """Grappler's ``optimizers`` over ``frozen``, with nodes of ``placed`` ops (all if None) on the
    CPU; the result has no device placements."""
    from tensorflow.python.grappler import tf_optimizer

    for node in frozen.graph_def.node:
        node.device = CPU_DEVICE if placed is None or node.op in placed else ""
    optimized = tf_optimizer.OptimizeGraph(_config(optimizers), _meta_graph(frozen))
    for node in optimized.node:
        node.device = ""
    for function in optimized.library.function:
        for node in function.node_def:
            node.device = ""
    return optimized


def run_grappler(frozen: FrozenGraph, optimizers: Sequence[str] = OPTIMIZERS) -> Any:
    """The optimized GraphDef (inputs, outputs and the function library kept)."""
    import_tensorflow()
    if _channels_first(frozen.graph_def):
        frozen = replace(frozen, graph_def=_optimize(frozen, ["layout"], placed=None))
    return _optimize(frozen, optimizers, placed=PLACED_OPS)
