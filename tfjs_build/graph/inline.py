"""Inline the function calls that freezing left in the graph.

Freezing inlines ordinary calls, but not functions marked ``_noinline``, which is what
``tf.function(jit_compile=True)`` produces (Keras 3 runs grouped convolutions that way). TF.js
cannot execute ``PartitionedCall``/``StatefulPartitionedCall``, so their bodies are copied into the
graph under the call's name, reading the call's inputs, and the call's readers read the body's
results. Functions nothing calls any more are dropped from the library.
"""

from __future__ import annotations

from typing import Any

from tfjs_build.graph.graph_edit import is_control, node_of, replace_nodes

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
MAX_ROUNDS = 32  # nested calls are inlined one level per round


def _body(function: Any) -> tuple[Any, dict[str, str]]:
    """The function body as top-level nodes, and its results as top-level references."""
    from tensorflow.python.framework import function_def_to_graph

    body, flat_names = function_def_to_graph.function_def_to_graph_def(function)
    results = {}
    for arg in function.signature.output_arg:
        reference = function.ret[arg.name]
        results[arg.name] = flat_names.get(reference, reference)
    return body, results


def _inline_call(graph_def: Any, call: Any, function: Any) -> None:
    body, results = _body(function)
    args = [arg.name for arg in function.signature.input_arg]
    call_data = [r for r in call.input if not is_control(r)]
    call_controls = [r for r in call.input if is_control(r)]
    arg_source = dict(zip(args, call_data, strict=True))
    prefix = f"{call.name}/"

    def translate(reference: str) -> str:
        name = node_of(reference)
        if name in arg_source:
            source = arg_source[name]
            return f"^{node_of(source)}" if is_control(reference) else source
        return ("^" if is_control(reference) else "") + prefix + reference.lstrip("^")

    for node in body.node:
        if node.name in arg_source:
            continue
        copy = graph_def.node.add()
        copy.CopyFrom(node)
        copy.name = prefix + node.name
        del copy.input[:]
        copy.input.extend(translate(r) for r in node.input)
        if not node.input:
            copy.input.extend(call_controls)
    outputs = [translate(results[arg.name]) for arg in function.signature.output_arg]
    _rewire_readers(graph_def, call.name, outputs)


def _rewire_readers(graph_def: Any, call_name: str, outputs: list[str]) -> None:
    for node in graph_def.node:
        for i, reference in enumerate(node.input):
            if node_of(reference) != call_name:
                continue
            if is_control(reference):
                node.input[i] = f"^{node_of(outputs[0])}" if outputs else reference
            else:
                index = int(reference.split(":")[1]) if ":" in reference else 0
                node.input[i] = outputs[index]


def _called_functions(graph_def: Any) -> set[str]:
    """Names of functions any node (top level or in a body) refers to, transitively."""
    library = {f.signature.name: f for f in graph_def.library.function}
    pending = [n for n in graph_def.node]
    called: set[str] = set()
    while pending:
        node = pending.pop()
        for value in node.attr.values():
            names = (
                [value.func.name] if value.HasField("func") else [f.name for f in value.list.func]
            )
            for name in names:
                if name and name not in called and name in library:
                    called.add(name)
                    pending.extend(library[name].node_def)
    return called


def inline_function_calls(graph_def: Any) -> int:
    """Inline every top-level (Stateful)PartitionedCall; returns how many calls were inlined."""
    inlined = 0
    for _ in range(MAX_ROUNDS):
        library = {f.signature.name: f for f in graph_def.library.function}
        calls = [n for n in graph_def.node if n.op in CALL_OPS and n.attr["f"].func.name in library]
        if not calls:
            break
        for call in calls:
            _inline_call(graph_def, call, library[call.attr["f"].func.name])
        names = {call.name for call in calls}
        replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in names])
        inlined += len(calls)
    if inlined:
        called = _called_functions(graph_def)
        kept = [f for f in graph_def.library.function if f.signature.name in called]
        replace_nodes(graph_def.library.function, kept)
    return inlined
