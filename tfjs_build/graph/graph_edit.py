"""Small edits on a GraphDef's top-level nodes: parse references, rename, add nodes, prune.

Top-level references have the forms ``name``, ``name:3`` and ``^name`` (control). Function bodies
use ``name:output_arg:3`` instead; the passes that touch them say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def node_of(reference: str) -> str:
    """The node name a reference (``^a``, ``a``, ``a:1``, ``a:out:0``) points to."""
    return reference.lstrip("^").split(":", 1)[0]


def is_control(reference: str) -> bool:
    return reference.startswith("^")


def nodes_by_name(graph_def: Any) -> dict[str, Any]:
    return {node.name: node for node in graph_def.node}


def consumers(graph_def: Any) -> dict[str, list[Any]]:
    """For each node name, the nodes that read it (data or control)."""
    readers: dict[str, list[Any]] = {}
    for node in graph_def.node:
        for reference in node.input:
            readers.setdefault(node_of(reference), []).append(node)
    return readers


def unique_name(taken: set[str], wanted: str) -> str:
    """``wanted`` if free, else ``wanted_1``, ``wanted_2``...; the result is added to ``taken``."""
    name, suffix = wanted, 0
    while name in taken:
        suffix += 1
        name = f"{wanted}_{suffix}"
    taken.add(name)
    return name


def rename_node(nodes: Any, old: str, new: str) -> None:
    """Rename node ``old`` of the NodeDef list ``nodes`` to ``new``, and every reference to it."""
    for node in nodes:
        if node.name == old:
            node.name = new
        for i, reference in enumerate(node.input):
            if node_of(reference) == old:
                node.input[i] = reference.replace(old, new, 1)


def add_node(
    nodes: Any,
    op: str,
    name: str,
    inputs: Sequence[str],
    attrs: Mapping[str, Any] | None = None,
) -> Any:
    """Append a NodeDef to the list ``nodes``; ``attrs`` values are AttrValue protos or plain
    values (see ``attr_value``)."""
    node = nodes.add()
    node.op, node.name = op, name
    node.input.extend(inputs)
    for key, value in (attrs or {}).items():
        node.attr[key].CopyFrom(attr_value(value))
    return node


def attr_value(value: Any) -> Any:
    """An AttrValue from a proto (copied), a DType enum wrapper, bool, int, float or bytes/str."""
    from tensorflow.core.framework import attr_value_pb2

    if isinstance(value, attr_value_pb2.AttrValue):
        return value
    proto = attr_value_pb2.AttrValue()
    if isinstance(value, DType):
        proto.type = value.enum
    elif isinstance(value, bool):
        proto.b = value
    elif isinstance(value, int):
        proto.i = value
    elif isinstance(value, float):
        proto.f = value
    elif isinstance(value, (bytes, str)):
        proto.s = value.encode() if isinstance(value, str) else value
    else:
        raise TypeError(f"no AttrValue for {value!r}")
    return proto


class DType:
    """A TensorFlow DataType enum value, so ``attr_value`` can tell it from an int."""

    def __init__(self, enum: int) -> None:
        self.enum = enum


def const_value(node: Any) -> np.ndarray:
    """The value of a Const node as numpy (strings as an object array of bytes)."""
    import tensorflow as tf

    return np.asarray(tf.make_ndarray(node.attr["value"].tensor))


def prune(graph_def: Any, keep: Iterable[str]) -> int:
    """Remove nodes no kept node depends on (data or control); returns how many were removed."""
    index = nodes_by_name(graph_def)
    reached: set[str] = set()
    stack = [name for name in keep if name in index]
    while stack:
        name = stack.pop()
        if name in reached:
            continue
        reached.add(name)
        stack.extend(node_of(ref) for ref in index[name].input if node_of(ref) in index)
    kept = [node for node in graph_def.node if node.name in reached]
    removed = len(graph_def.node) - len(kept)
    if removed:
        replace_nodes(graph_def.node, kept)
    return removed


def replace_nodes(container: Any, nodes: Iterable[Any]) -> None:
    """Make the repeated message field ``container`` (NodeDefs, FunctionDefs) hold ``nodes``.

    When ``nodes`` are elements of ``container`` in their order (what every pass keeps), the others
    are deleted in place: copying the kept ones would copy the constants, most of a model's bytes.
    """
    wanted = list(nodes)
    if _in_order_within(wanted, container):
        kept = {id(node) for node in wanted}
        for index in reversed(range(len(container))):
            if id(container[index]) not in kept:
                del container[index]
        return
    copies = []
    for node in wanted:
        copy = type(node)()
        copy.CopyFrom(node)
        copies.append(copy)
    del container[:]
    container.extend(copies)


def _in_order_within(wanted: list[Any], container: Any) -> bool:
    """Whether ``wanted`` are elements of ``container`` (the same objects), in the same order."""
    position = 0
    for element in container:
        if position < len(wanted) and element is wanted[position]:
            position += 1
    return position == len(wanted)
