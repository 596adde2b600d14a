"""GraphDef edits: removing nodes in place keeps the kept nodes' own messages (no copy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfjs_build.graph.graph_edit import prune, replace_nodes


def _graph(*names: str) -> Any:
    from tensorflow.core.framework import graph_pb2

    graph_def = graph_pb2.GraphDef()
    for name in names:
        graph_def.node.add(name=name, op="NoOp")
    return graph_def


def test_removing_nodes_keeps_the_others_in_place() -> None:
    graph_def = _graph("a", "b", "c", "d")
    kept = [n for n in graph_def.node if n.name in ("a", "c", "d")]
    replace_nodes(graph_def.node, kept)
    assert [n.name for n in graph_def.node] == ["a", "c", "d"]
    assert all(a is b for a, b in zip(graph_def.node, kept, strict=True))
    kept[1].name = "renamed"  # the kept objects are the graph's own nodes, not copies
    assert graph_def.node[1].name == "renamed"


def test_nodes_from_elsewhere_or_reordered_are_copied() -> None:
    graph_def = _graph("a", "b")
    other = _graph("x")
    replace_nodes(graph_def.node, [graph_def.node[1], graph_def.node[0]])
    assert [n.name for n in graph_def.node] == ["b", "a"]
    replace_nodes(graph_def.node, [other.node[0]])
    assert [n.name for n in graph_def.node] == ["x"]
    other.node[0].name = "changed"
    assert graph_def.node[0].name == "x"


def test_prune_keeps_constants_without_copying_them() -> None:
    import tensorflow as tf

    graph_def = _graph()
    weight = graph_def.node.add(name="w", op="Const")
    weight.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.arange(6, dtype="float32")))
    graph_def.node.add(name="unused", op="NoOp")
    graph_def.node.add(name="out", op="Identity", input=["w"])
    assert prune(graph_def, ["out"]) == 1
    assert [n.name for n in graph_def.node] == ["w", "out"]
    assert graph_def.node[0] is weight
