"""A SavedModel signature frozen from its files, without restoring the SavedModel's objects.

``tf.saved_model.load`` rebuilds every object of the model (its variables, its functions as
Python callables) before anything can be frozen. The frozen graph only needs the signature's
function, which ``saved_model.pb`` holds as a FunctionDef, and the values it captures: variables,
which the checkpoint holds under keys its object graph names, and constants, which the
MetaGraph's graph holds. This module reads those directly, then freezes as
``freeze.freeze_function`` does (the same inlining, the same replacement of variables by
constants), so the artifact is the same.

It reads what it can vouch for and nothing else: a signature that captures anything else (lookup
tables, assets, other resources), whose graph holds table ops or control flow (functions that
would stay in the artifact), or whose files cannot be read gets ``None`` and goes through
``tf.saved_model.load``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.freeze import (
    FrozenGraph,
    TensorBinding,
    binding_key,
    constants_for_variables,
    feedable_binding,
    freeze_inlined,
    inline_calls_for_freezing,
    returned_binding,
)
from tfjs_build.graph.saved_model import read_meta_graph

CHECKPOINT_OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"
VARIABLE_VALUE = "VARIABLE_VALUE"
HANDLED_ELSEWHERE_OPS = frozenset(
    {
        "HashTable",
        "HashTableV2",
        "MutableHashTable",
        "MutableHashTableV2",
        "MutableHashTableOfTensors",
        "MutableHashTableOfTensorsV2",
        "MutableDenseHashTable",
        "MutableDenseHashTableV2",
        "VarHandleOp",
        "VariableV2",
        "Variable",
    }
)
"""Ops whose resources freezing reads through the loaded objects (``tables``), or variables made
inside the function: such a signature goes through ``tf.saved_model.load``."""


def _signature_function_name(meta_graph: Any, signature: str) -> str | None:
    """The concrete function the object graph's ``signatures`` map holds under ``signature``."""
    nodes = meta_graph.object_graph_def.nodes
    if not nodes:  # a TF1 SavedModel: its signatures are tensors of one graph, not functions
        return None
    signatures = next((c for c in nodes[0].children if c.local_name == "signatures"), None)
    if signatures is None:
        return None
    entry = next((c for c in nodes[signatures.node_id].children if c.local_name == signature), None)
    if entry is None:
        return None
    node = nodes[entry.node_id]
    kind = node.WhichOneof("kind")
    if kind == "bare_concrete_function":
        return str(node.bare_concrete_function.concrete_function_name)
    if kind == "function" and len(node.function.concrete_functions) == 1:
        return str(node.function.concrete_functions[0])
    return None


CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
"""Calls freezing inlines. Functions that other ops refer to (the branches of ``If``, the bodies
of ``While``) stay in the artifact's library in the form the loader gives them, which is not
the saved one (it rebuilds each from its graph): such a signature goes through the loader."""


def _function_closure(library: Any, name: str) -> list[Any] | None:
    """The FunctionDef ``name`` and every function it calls, in library order; None if one is
    missing or some op other than a call refers to one."""
    by_name = {function.signature.name: function for function in library.function}
    wanted, pending = set(), [name]
    while pending:
        current = pending.pop()
        if current in wanted:
            continue
        function = by_name.get(current)
        if function is None:
            return None
        wanted.add(current)
        for node in function.node_def:
            called = [v.func.name for v in node.attr.values() if v.HasField("func")]
            called += [f.name for v in node.attr.values() for f in v.list.func]
            if called and node.op not in CALL_OPS:
                return None
            pending.extend(called)
    return [function for function in library.function if function.signature.name in wanted]


def _checkpoint_keys(reader: Any, node_ids: list[int]) -> list[str] | None:
    """The checkpoint key of each variable by its object graph node id (the checkpoint's object
    graph numbers its nodes as the SavedModel's does)."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor(CHECKPOINT_OBJECT_GRAPH))
    keys = []
    for node_id in node_ids:
        if node_id >= len(graph.nodes):
            return None
        attributes = graph.nodes[node_id].attributes
        key = next((a.checkpoint_key for a in attributes if a.name == VARIABLE_VALUE), None)
        if key is None:
            return None
        keys.append(key)
    return keys


def _captured_values(path: Path, meta_graph: Any, node_ids: list[int]) -> list[Any] | None:
    """The value of each object the signature captures (a variable read from the checkpoint, a
    constant from the MetaGraph's graph), or None if one is something else or does not match its
    declaration in ``saved_model.pb`` (dtype, shape)."""
    nodes = [meta_graph.object_graph_def.nodes[i] for i in node_ids]
    kinds = {node.WhichOneof("kind") for node in nodes}
    if not kinds <= {"variable", "constant"}:
        return None
    constants = {}
    if "constant" in kinds:
        from tensorflow.python.framework import tensor_util

        constants = {
            node.name: tensor_util.MakeNdarray(node.attr["value"].tensor)
            for node in meta_graph.graph_def.node
            if node.op == "Const"
        }
    variables = _variable_values(
        path,
        [(i, n.variable) for i, n in zip(node_ids, nodes, strict=True) if n.HasField("variable")],
    )
    if variables is None:
        return None
    values = []
    for node in nodes:
        value = (
            variables.pop(0)
            if node.HasField("variable")
            else constants.get(node.constant.operation)
        )
        if value is None:
            return None
        values.append(value)
    return values


def _variable_values(path: Path, variables: list[tuple[int, Any]]) -> list[Any] | None:
    """The value of each ``(object graph node id, SavedVariable)`` read from the checkpoint, or
    None if one does not match its declaration (dtype, shape)."""
    tf = import_tensorflow()
    from tensorflow.python.training import py_checkpoint_reader

    if not variables:
        return []
    reader = py_checkpoint_reader.NewCheckpointReader(str(path / "variables" / "variables"))
    keys = _checkpoint_keys(reader, [node_id for node_id, _ in variables])
    if keys is None:
        return None
    values = []
    for key, (_, variable) in zip(keys, variables, strict=True):
        value = np.asarray(reader.get_tensor(key))
        shape = tuple(d.size for d in variable.shape.dim)
        if tf.as_dtype(variable.dtype).as_numpy_dtype != value.dtype or (
            not variable.shape.unknown_rank and shape != value.shape
        ):
            return None
        values.append(value)
    return values


@dataclass
class SignatureFiles:
    """What a signature's files give: its function as a GraphDef (calls not inlined yet), its
    inputs and outputs, and the value of each captured placeholder by name."""

    graph_def: Any
    inputs: list[TensorBinding]
    outputs: list[TensorBinding]
    captured: dict[str, np.ndarray]
    source: str


def read_signature(
    path: Path, signature: str, tags: list[str], source: str
) -> SignatureFiles | None:
    """The function of ``signature`` and the values it captures, read from the SavedModel's
    files; None when it needs the loaded objects, or when the files cannot be read (the caller
    then loads the SavedModel, and TensorFlow's loader says what is wrong). The SavedModel, its
    tags and its signature have been checked already."""
    try:
        meta_graph = read_meta_graph(path, tags)
    except Exception:  # unreadable: the loader says what is wrong
        return None
    return read_checked_signature(path, meta_graph, signature, source)


def read_checked_signature(
    path: Path, meta_graph: Any, signature: str, source: str
) -> SignatureFiles | None:
    """``read_signature`` given the MetaGraphDef ``check_signature`` returned."""
    try:
        return _read(path, meta_graph, signature, source)
    except UnsupportedModelError:
        raise  # an input or output TF.js cannot feed or return: the same with the loader
    except Exception:  # a damaged checkpoint or function library: TensorFlow raises many types
        return None


def _read(path: Path, meta_graph: Any, signature: str, source: str) -> SignatureFiles | None:
    name = _signature_function_name(meta_graph, signature)
    concrete = meta_graph.object_graph_def.concrete_functions.get(name) if name else None
    if name is None or concrete is None:
        return None
    functions = _function_closure(meta_graph.graph_def.library, name)
    if functions is None or any(
        node.op in HANDLED_ELSEWHERE_OPS for f in functions for node in f.node_def
    ):
        return None
    function = next(f for f in functions if f.signature.name == name)
    graph_def, flat_names = _function_graph_def(function)
    if graph_def is None:
        return None
    graph_def.library.function.extend(f for f in functions if f.signature.name != name)
    graph_def.versions.CopyFrom(meta_graph.graph_def.versions)
    args = list(function.signature.input_arg)
    captures = args[len(args) - len(concrete.bound_inputs) :]
    inputs = _input_bindings(concrete, args[: len(args) - len(captures)], source)
    outputs = _output_bindings(concrete, function, flat_names, source)
    if inputs is None or outputs is None:
        return None
    values = _captured_values(path, meta_graph, list(concrete.bound_inputs))
    if values is None:
        return None
    captured = {arg.name: value for arg, value in zip(captures, values, strict=True)}
    return SignatureFiles(graph_def, inputs, outputs, captured, source)


def _input_bindings(concrete: Any, arguments: list[Any], source: str) -> list[TensorBinding] | None:
    """The signature's inputs keyed as the loaded function's (positional by spec name, keyword
    arguments by key), each the placeholder of its argument."""
    tf = import_tensorflow()
    from tensorflow.python.saved_model import nested_structure_coder

    positional, keywords = nested_structure_coder.decode_proto(
        concrete.canonicalized_input_signature
    )
    specs = [("", spec) for spec in tf.nest.flatten(positional)]
    specs += [
        (binding_key(path, index, "input"), spec)
        for index, (path, spec) in enumerate(_with_paths(keywords))
    ]
    if len(specs) != len(arguments):
        return None
    return [
        feedable_binding(key or spec.name or arg.name, f"{arg.name}:0", spec, source)
        for (key, spec), arg in zip(specs, arguments, strict=True)
    ]


def _output_bindings(
    concrete: Any, function: Any, flat_names: dict[str, str], source: str
) -> list[TensorBinding] | None:
    """The signature's outputs keyed by their structure, each the graph tensor it returns."""
    from tensorflow.python.saved_model import nested_structure_coder

    specs = _with_paths(nested_structure_coder.decode_proto(concrete.output_signature))
    returned = [function.ret[arg.name] for arg in function.signature.output_arg]
    if len(specs) != len(returned):
        return None
    return [
        returned_binding(binding_key(path, index, "output"), flat_names.get(t, t), spec, source)
        for index, ((path, spec), t) in enumerate(zip(specs, returned, strict=True))
    ]


def freeze_signature(files: SignatureFiles) -> FrozenGraph | None:
    """The frozen graph of what ``read_signature`` read, as freezing the loaded function makes
    it; None if TensorFlow cannot inline its calls (the caller then loads the SavedModel).
    Takes the GraphDef and the values out of ``files``."""
    fetches = [b.tensor for b in files.inputs] + [f"{name}:0" for name in files.captured]
    fetches += [b.tensor for b in files.outputs]
    graph_def, files.graph_def = files.graph_def, None
    try:
        inlined = inline_calls_for_freezing(graph_def, fetches)
    except Exception:  # Grappler raises ValueError or InvalidArgumentError; the loader will say
        return None
    del graph_def
    captured, files.captured = files.captured, {}
    frozen_def = constants_for_variables(inlined, captured)
    del inlined, captured
    if frozen_def.library.function:  # a call was not inlined: its function would stay as saved
        return None
    return freeze_inlined(frozen_def, files.inputs, files.outputs, files.source)


def _with_paths(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    from tensorflow.python.util import nest

    return list(nest.flatten_with_tuple_paths(structure))


def _function_graph_def(function: Any) -> tuple[Any, dict[str, str]]:
    """The FunctionDef as a GraphDef (its arguments placeholders, its nodes' inputs in graph
    form: ``node:3`` for ``node:output:3``), as TensorFlow lays out a function's graph; and the
    graph name of each tensor the body names. (None, {}) if a node calls a function as an op
    (the loader resolves those)."""
    from tensorflow.core.framework import graph_pb2
    from tensorflow.python.framework import op_def_registry

    graph_def = graph_pb2.GraphDef()
    names: dict[str, str] = {}
    for index, arg in enumerate(function.signature.input_arg):
        placeholder = graph_def.node.add(name=arg.name, op="Placeholder")
        placeholder.attr["dtype"].type = arg.type
        for key, value in function.arg_attr[index].attr.items():
            if key == "_output_shapes" and value.WhichOneof("value") == "list":
                placeholder.attr["shape"].shape.CopyFrom(value.list.shape[0])
            elif key == "_output_shapes" and value.WhichOneof("value") == "shape":
                placeholder.attr["shape"].shape.CopyFrom(value.shape)
            elif key.startswith("_"):
                placeholder.attr[key].CopyFrom(value)
        names[arg.name] = f"{arg.name}:0"
        names[f"^{arg.name}"] = f"^{arg.name}"
    for node in function.node_def:
        op_def = op_def_registry.get(node.op)
        if op_def is None:
            return None, {}
        flat = 0
        for output in op_def.output_arg:
            for i in range(_count(output, node)):
                names[f"{node.name}:{output.name}:{i}"] = f"{node.name}:{flat}"
                flat += 1
        names[f"^{node.name}"] = f"^{node.name}"
    graph_def.node.extend(function.node_def)
    for node in graph_def.node:
        node.input[:] = [names[reference] for reference in node.input]
        _add_default_attrs(node, op_def_registry.get(node.op))
    return graph_def, names


def _add_default_attrs(node: Any, op_def: Any) -> None:
    """Give ``node`` each attribute its op declares a default for and it lacks, as importing it
    into a graph does (Grappler refuses a Placeholder without its ``shape``)."""
    for attr in op_def.attr:
        if attr.HasField("default_value") and attr.name not in node.attr:
            node.attr[attr.name].CopyFrom(attr.default_value)


def _count(output: Any, node: Any) -> int:
    """How many tensors an op's output argument stands for in ``node``."""
    if output.number_attr:
        return int(node.attr[output.number_attr].i)
    if output.type_list_attr:
        return len(node.attr[output.type_list_attr].list.type)
    return 1
