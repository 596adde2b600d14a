"""GraphDefs written node by node, run in a TensorFlow session, and lowered for TF.js without
Grappler, to test one lowering against the original graph."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tfjs_build.artifact import Artifact


class GraphDefBuilder:
    """Adds float32 placeholders, constants and nodes to a fresh GraphDef."""

    def __init__(self) -> None:
        import tensorflow as tf

        self.graph_def = tf.compat.v1.GraphDef()

    def placeholder(self, name: str, dtype: str = "float32") -> str:
        import tensorflow as tf

        node = self.graph_def.node.add(name=name, op="Placeholder")
        node.attr["dtype"].type = tf.as_dtype(dtype).as_datatype_enum
        return name

    def const(self, name: str, value: np.ndarray) -> str:
        import tensorflow as tf

        node = self.graph_def.node.add(name=name, op="Const")
        tensor = tf.make_tensor_proto(value)
        node.attr["dtype"].type = tensor.dtype
        node.attr["value"].tensor.CopyFrom(tensor)
        return name

    def node(self, name: str, op: str, inputs: Sequence[str], **attrs: Any) -> str:
        """A float32 node (``T``) with attributes given as plain values or AttrValue protos."""
        from tfjs_build.graph.graph_edit import DType, add_node

        add_node(self.graph_def.node, op, name, inputs, {"T": DType(1), **attrs})
        return name


def ints(*values: int) -> Any:
    """A list-of-ints AttrValue."""
    from tensorflow.core.framework import attr_value_pb2

    return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=list(values)))


def strings(*values: bytes) -> Any:
    """A list-of-strings AttrValue."""
    from tensorflow.core.framework import attr_value_pb2

    return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(s=list(values)))


def run_in_tensorflow(
    graph_def: Any, feeds: Mapping[str, np.ndarray], fetches: Sequence[str]
) -> dict[str, np.ndarray]:
    """The values of ``fetches`` (node names) for ``feeds`` (placeholder names)."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        values = session.run(
            [f"{name}:0" for name in fetches], {f"{k}:0": v for k, v in feeds.items()}
        )
    return dict(zip(fetches, values, strict=True))


def lowered_artifact(
    graph_def: Any,
    feeds: Mapping[str, np.ndarray],
    fetches: Sequence[str],
    backends: Sequence[str] = ("cpu", "wasm"),
) -> tuple[Artifact, dict[str, int]]:
    """A copy of ``graph_def`` lowered for ``backends`` and checked, as an artifact whose inputs
    are ``feeds`` and outputs ``fetches``; and the lowering counts."""
    import tensorflow as tf

    from tfjs_build.graph.export import build_artifact
    from tfjs_build.graph.freeze import TensorBinding
    from tfjs_build.graph.graph_edit import prune
    from tfjs_build.graph.layout import cancel_transposes
    from tfjs_build.graph.lowerings import lower_unsupported
    from tfjs_build.graph.op_check import check_ops
    from tfjs_build.graph.signature import name_outputs, tfjs_signature

    lowered = tf.compat.v1.GraphDef()
    lowered.CopyFrom(graph_def)
    counts = lower_unsupported(lowered, backends)
    cancel_transposes(lowered)
    inputs = [
        TensorBinding(name, f"{name}:0", str(value.dtype), tuple(value.shape))
        for name, value in feeds.items()
    ]
    wanted = [TensorBinding(name, f"{name}:0", "float32", None) for name in fetches]
    outputs = name_outputs(lowered, wanted, list(feeds))
    prune(lowered, [*feeds, *(b.node for b in outputs)])
    check_ops(lowered, backends, "handmade graph")
    artifact = build_artifact(lowered, tfjs_signature(inputs, outputs), generated_by="test")
    return artifact, counts
