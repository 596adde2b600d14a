"""Name a graph's functions the same way on every conversion.

TensorFlow suffixes the functions it traces and freezes with a process-wide counter
(``while_body_frozen_19298``), and so the arguments of the functions it derives from them
(``while_cond_1061___redundant_placeholder0``); its function library comes in no fixed order. The
names reach ``model.json`` and the names of the weights inside the functions. Here every function
loses its counter (numbered ``_1``, ``_2`` in the counters' order where two would collide), every
argument its numbers (numbered in argument order where two would collide), references follow, and
the library is sorted by name: the same model converts to the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

from tfjs_build.graph.graph_edit import node_of, rename_node, unique_name

_COUNTER = re.compile(r"^(.*?)_(\d+)$")
_NUMBERS = re.compile(r"_\d+(?=_|$)")


def _stable_names(names: list[str]) -> dict[str, str]:
    """Each name to its name without a trailing counter, unique among them all."""

    def counted(name: str) -> tuple[str, int]:
        match = _COUNTER.match(name)
        return (match.group(1), int(match.group(2))) if match else (name, -1)

    taken: set[str] = set()
    renamed = {}
    for name in sorted(names, key=counted):
        renamed[name] = unique_name(taken, counted(name)[0])
    return renamed


def _rename_references(attrs: Any, renamed: dict[str, str]) -> None:
    for value in attrs.values():
        if value.HasField("func") and value.func.name in renamed:
            value.func.name = renamed[value.func.name]
        if value.HasField("list"):
            for function in value.list.func:
                if function.name in renamed:
                    function.name = renamed[function.name]


def _name_arguments_stably(function: Any) -> None:
    """Drop the numbers from ``function``'s argument names, in its body's references too."""
    taken = {node.name for node in function.node_def}
    args = list(function.signature.input_arg)
    targets = [unique_name(taken, _NUMBERS.sub("", arg.name) or "arg") for arg in args]
    # through names no reference can hold, so that no rename catches another's references
    for step in (lambda i: f"\x00{i}", lambda i: targets[i]):
        for index, arg in enumerate(args):
            old, new = arg.name, step(index)
            arg.name = new
            rename_node(function.node_def, old, new)
            for key, value in list(function.ret.items()):
                if node_of(value) == old:
                    function.ret[key] = value.replace(old, new, 1)


def name_functions_stably(graph_def: Any) -> None:
    """Rename ``graph_def``'s functions without their counters and sort its library by name."""
    library = graph_def.library.function
    if not library:
        return
    renamed = _stable_names([function.signature.name for function in library])
    for node in graph_def.node:
        _rename_references(node.attr, renamed)
    for function in library:
        function.signature.name = renamed[function.signature.name]
        _name_arguments_stably(function)
        _rename_references(function.attr, renamed)
        for node in function.node_def:
            _rename_references(node.attr, renamed)
    for gradient in graph_def.library.gradient:
        gradient.function_name = renamed.get(gradient.function_name, gradient.function_name)
    ordered = sorted(library, key=lambda function: function.signature.name)
    copies = [type(function)() for function in ordered]
    for copy, function in zip(copies, ordered, strict=True):
        copy.CopyFrom(function)
    del library[:]
    library.extend(copies)
