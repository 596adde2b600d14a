"""Return function-body results directly, not through ``Identity`` nodes.

TF.js 4.22 disposes, at the end of each function call, every tensor the body made that is not one
of its outputs, even tensors a TensorList still holds. Keras RNNs with ``return_sequences=True``
write each step's output into a TensorList and return it through an ``Identity``: TF.js then
returns a copy and frees the original, and stacking the list afterwards fails ("Cannot read
properties of undefined (reading 'backend')"). Returning the tensor itself keeps it alive, and
changes no value.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.graph.graph_edit import is_control, node_of, replace_nodes


def _forwarded(nodes: dict[str, Any], reference: str) -> str:
    """Follow Identity nodes back from ``reference`` to the tensor they forward."""
    seen = set()
    while True:
        node = nodes.get(node_of(reference))
        if node is None or node.op != "Identity" or node.name in seen:
            return reference
        seen.add(node.name)
        data = [r for r in node.input if not is_control(r)]
        if len(data) != 1:
            return reference
        reference = data[0]


def return_tensors_directly(graph_def: Any) -> int:
    """Point every function's results past forwarding Identity nodes; returns how many moved."""
    moved = 0
    for function in graph_def.library.function:
        nodes = {node.name: node for node in function.node_def}
        moved_here = 0
        for key, reference in list(function.ret.items()):
            source = _forwarded(nodes, reference)
            if source != reference:
                function.ret[key] = source
                moved_here += 1
        if moved_here:
            _drop_unread_identities(function)
        moved += moved_here
    return moved


def _drop_unread_identities(function: Any) -> None:
    read = {node_of(r) for node in function.node_def for r in node.input}
    read |= {node_of(r) for r in function.ret.values()}
    read |= set(function.control_ret.values())
    kept = [n for n in function.node_def if n.op != "Identity" or n.name in read]
    if len(kept) != len(function.node_def):
        replace_nodes(function.node_def, kept)
