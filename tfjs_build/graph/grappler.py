"""Run TensorFlow's Grappler over a frozen graph with the passes that help TF.js.

Debug stripping, constant folding (which also folds batch norms into convolution filters),
arithmetic simplification, dependency pruning and the remapper (which fuses contractions with bias
adds and activations). Nodes are placed on the CPU first: the remapper fuses only placed nodes.
Builds of TensorFlow with oneDNN make the remapper emit oneDNN-only ops and fusions; the
``fusion`` module turns those back into what TF.js runs.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    from tensorflow.core.protobuf import config_pb2

    config = config_pb2.ConfigProto()
    rewrites = config.graph_options.rewrite_options
    rewrites.optimizers.extend(optimizers)
    rewrites.min_graph_nodes = -1
    rewrites.meta_optimizer_iterations = 1  # ONE: the optimizer list already repeats passes
    return config


def run_grappler(frozen: FrozenGraph, optimizers: Sequence[str] = OPTIMIZERS) -> Any:
    """The optimized GraphDef (inputs, outputs and the function library kept)."""
    import_tensorflow()
    from tensorflow.python.grappler import tf_optimizer

    for node in frozen.graph_def.node:
        node.device = CPU_DEVICE
    optimized = tf_optimizer.OptimizeGraph(_config(optimizers), _meta_graph(frozen))
    for node in optimized.node:
        node.device = ""
    for function in optimized.library.function:
        for node in function.node_def:
            node.device = ""
    return optimized
