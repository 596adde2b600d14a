"""Freeze a concrete function: variables become constants, inputs and outputs get stable keys."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.graph_edit import (
    consumers,
    is_control,
    node_of,
    nodes_by_name,
    prune,
    replace_nodes,
)
from tfjs_build.graph.tables import (
    DT_RESOURCE,
    TableContents,
    forget_table_initializers,
    materialize_tables,
)

# Dtypes a TF.js user can feed: TF.js holds float32, int32, bool and string tensors and feeds
# narrower or wider numbers of the same kind through them.
FEEDABLE_DTYPES = frozenset(
    {"float32", "float64", "int32", "int64", "int16", "int8", "uint8", "uint16", "bool", "string"}
)


@dataclass(frozen=True)
class TensorBinding:
    """One signature entry: the key users see and the graph tensor behind it."""

    key: str
    tensor: str
    dtype: str
    shape: tuple[int, ...] | None

    @property
    def node(self) -> str:
        return self.tensor.split(":", 1)[0]


@dataclass
class FrozenGraph:
    """A GraphDef without variables, plus which tensors are the signature's inputs and outputs."""

    graph_def: Any
    inputs: list[TensorBinding]
    outputs: list[TensorBinding]
    source: str
    notes: list[str] = field(default_factory=list)
    tables: dict[str, TableContents] = field(default_factory=dict)
    """The contents of each lookup table, by the ``shared_name`` of its ``HashTableV2`` node."""


def _shape(tensor: Any) -> tuple[int, ...] | None:
    if tensor.shape.rank is None:
        return None
    return tuple(-1 if d is None else int(d) for d in tensor.shape.as_list())


def binding_key(path: tuple[Any, ...], index: int, prefix: str) -> str:
    """A signature entry's key: its nested keys joined by '/', or ``prefix_index``."""
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else f"{prefix}_{index}"


def _flatten_with_paths(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    from tensorflow.python.util import nest

    return list(nest.flatten_with_tuple_paths(structure))


def input_bindings(function: Any, source: str) -> list[TensorBinding]:
    """Signature inputs of ``function`` keyed by their argument names (kwargs) or spec names."""
    tf = import_tensorflow()
    args, kwargs = function.structured_input_signature
    flat = _flatten_with_paths(kwargs) if kwargs else []
    positional = tf.nest.flatten(args)
    bindings: list[TensorBinding] = []
    tensors = [t for t in function.inputs[: len(positional) + len(flat)]]
    for i, spec in enumerate(positional):
        tensor = tensors[i]
        key = spec.name or tensor.name.split(":")[0]
        bindings.append(_binding(key, tensor, source))
    for j, (path, _spec) in enumerate(flat):
        bindings.append(
            _binding(binding_key(path, j, "input"), tensors[len(positional) + j], source)
        )
    return bindings


def _binding(key: str, tensor: Any, source: str) -> TensorBinding:
    return feedable_binding(key, tensor.name, tensor, source)


def feedable_binding(key: str, name: str, tensor: Any, source: str) -> TensorBinding:
    """The input binding of graph tensor ``name``, whose dtype and shape ``tensor`` (a tensor or
    a TensorSpec) has; UnsupportedModelError if TF.js cannot feed it."""
    dtype = tensor.dtype.name
    if dtype not in FEEDABLE_DTYPES:
        raise UnsupportedModelError(
            f"{source}: input {key!r} ({name}) is a {dtype} tensor, which TF.js cannot feed; "
            "export a signature whose inputs are numbers, booleans or strings"
        )
    return TensorBinding(key, name, dtype, _shape(tensor))


def output_bindings(function: Any, source: str, tensors: Sequence[Any]) -> list[TensorBinding]:
    """Signature outputs keyed by their dict keys (nested keys joined by '/') or position.

    ``tensors`` are the outputs of the frozen ``function``, in the order of ``function.outputs``.
    """
    import_tensorflow()
    flat = _flatten_with_paths(function.structured_outputs)
    if len(flat) != len(function.outputs) or len(tensors) != len(flat):
        raise UnsupportedModelError(
            f"{source}: outputs with composite tensors (ragged, sparse) are not supported"
        )
    return [
        returned_binding(binding_key(path, i, "output"), tensor.name, tensor, source)
        for i, ((path, _), tensor) in enumerate(zip(flat, tensors, strict=True))
    ]


def returned_binding(key: str, name: str, tensor: Any, source: str) -> TensorBinding:
    """The output binding of graph tensor ``name``, whose dtype and shape ``tensor`` (a tensor or
    a TensorSpec) has; UnsupportedModelError if TF.js cannot return it."""
    if tensor.dtype.name in ("resource", "variant"):
        raise UnsupportedModelError(
            f"{source}: output {key!r} ({name}) is a {tensor.dtype.name} tensor; TF.js cannot return it"
        )
    return TensorBinding(key, name, tensor.dtype.name, _shape(tensor))


def freeze_function(function: Any, source: str) -> FrozenGraph:
    """Inline calls, turn variables into constants, keep v2 control flow (If/While) as it is;
    lookup tables become ``HashTableV2`` nodes whose contents are exported (see ``tables``).

    The GraphDef is made from ``function``'s graph directly: variables are read without copying
    their values, and no concrete function is rebuilt from the result (TensorFlow's
    ``convert_variables_to_constants_v2`` would rebuild one, which costs seconds and holds every
    weight twice more, once in a graph and once in the function library).
    """
    import_tensorflow()
    inputs = input_bindings(function, source)
    forget_table_initializers(function)
    try:
        graph_def = _graph_def_with_constants(function)
    except Exception as exc:  # TensorFlow raises ValueError, InvalidArgumentError, ...
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UnsupportedModelError(
            f"{source}: cannot freeze the variables of this function: {first_line}"
        ) from None
    outputs = output_bindings(function, source, function.outputs)
    frozen = freeze_inlined(graph_def, inputs, outputs, source)
    frozen.tables = materialize_tables(frozen.graph_def, function, source)
    return frozen


def freeze_inlined(
    graph_def: Any, inputs: list[TensorBinding], outputs: list[TensorBinding], source: str
) -> FrozenGraph:
    """The FrozenGraph of a GraphDef whose variables are constants now: what tracing recorded
    dropped, constants in place of their reads, pruned to what the outputs need."""
    _drop_trace_details(graph_def)
    _constants_in_place_of_reads(graph_def)
    prune(graph_def, [b.node for b in inputs] + [b.node for b in outputs])
    return FrozenGraph(graph_def=graph_def, inputs=inputs, outputs=outputs, source=source)


def _graph_def_with_constants(function: Any) -> Any:
    """``function``'s GraphDef, calls inlined, every captured variable replaced by a constant."""
    from tensorflow.python.framework import convert_to_constants

    class _Variables(convert_to_constants._FunctionConverterDataInEager):
        def _eval(self, tensor: Any) -> Any:
            # a view of the variable's buffer: ``numpy()`` would copy every weight once more
            value = tensor.read_value() if hasattr(tensor, "read_value") else tensor
            return np.asarray(value)

    variables = _Variables(func=function, lower_control_flow=False, aggressive_inlining=True)
    graph_def, _converted = convert_to_constants._replace_variables_by_constants(
        converter_data=variables
    )
    return graph_def


@dataclass
class _Captures:
    """What ``_replace_variables_by_constants`` reads of a converter: the graph, and the value
    of each captured placeholder by name."""

    graph_def: Any
    tensor_data: dict[str, Any]


def constants_for_variables(graph_def: Any, values: dict[str, np.ndarray]) -> Any:
    """``graph_def`` (calls inlined) with each placeholder named in ``values`` (a captured
    variable) a constant of that value, as freezing a loaded function does."""
    tf = import_tensorflow()
    from tensorflow.python.framework import convert_to_constants

    reads = _variable_reads(graph_def, values)
    if reads is not None:
        _replace_reads(graph_def, values, reads)
        return graph_def

    data = {
        name: convert_to_constants._TensorData(
            numpy=value, dtype=tf.as_dtype(value.dtype).as_datatype_enum, index=index
        )
        for index, (name, value) in enumerate(values.items())
    }
    converted, _ = convert_to_constants._replace_variables_by_constants(
        converter_data=_Captures(graph_def, data)
    )
    return converted


_CONVERTED_OPS = frozenset(
    {
        "Case", "Enter", "Exit", "Identity", "If", "Merge", "NextIteration", "PartitionedCall",
        "Placeholder", "ReadVariableOp", "ResourceGather", "ResourceGatherNd", "StatefulPartitionedCall",
        "StatelessIf", "StatelessWhile", "Switch", "VarHandleOp", "VariableV2", "While", "_SwitchN",
    }
)  # fmt: skip
"""Ops ``convert_to_constants`` changes when a constant reaches them: any of them reading a
captured constant leaves the replacement to it."""


def _variable_reads(graph_def: Any, values: dict[str, np.ndarray]) -> dict[str, str] | None:
    """For each node the replacement of the placeholders of ``values`` changes, the placeholder
    it comes from: the ``Identity`` nodes inlining left after a placeholder, and the
    ``ReadVariableOp`` nodes reading a variable (a resource placeholder). None unless nothing
    else reads a variable (control dependencies aside), no other op of ``_CONVERTED_OPS`` reads
    a captured constant, and no function is left: then TensorFlow's own graph walk is needed."""
    if graph_def.library.function:
        return None
    readers: dict[str, list[tuple[Any, int]]] = {}
    for node in graph_def.node:
        for index, reference in enumerate(node.input):
            if not is_control(reference):
                readers.setdefault(node_of(reference), []).append((node, index))
    resources = {
        n.name for n in graph_def.node if n.name in values and n.attr["dtype"].type == DT_RESOURCE
    }
    found: dict[str, str] = {}
    pending = [(name, name) for name in values]
    while pending:
        name, captured = pending.pop()
        for reader, index in readers.get(name, []):
            if reader.op == "Identity" or (reader.op == "ReadVariableOp" and index == 0):
                found[reader.name] = captured
                pending += [(reader.name, captured)] if reader.op == "Identity" else []
            elif captured in resources or reader.op in _CONVERTED_OPS:
                return None
    return found


def _replace_reads(graph_def: Any, values: dict[str, np.ndarray], reads: dict[str, str]) -> None:
    """What ``convert_to_constants`` makes of variables only read: each placeholder a ``Const``
    of its value, each ``Identity`` on the way of the value's dtype, each read an ``Identity``
    (its control inputs and its attributes but ``_class`` dropped, as there)."""
    tf = import_tensorflow()
    from tensorflow.core.framework import attr_value_pb2
    from tensorflow.python.framework import tensor_util

    dtypes = {name: tf.as_dtype(value.dtype).as_datatype_enum for name, value in values.items()}
    for node in graph_def.node:
        name = node.name
        if name in values:
            value = values[name]
            node.Clear()
            node.name, node.op = name, "Const"
            node.attr["dtype"].type = dtypes[name]
            node.attr["value"].tensor.CopyFrom(
                tensor_util.make_tensor_proto(value, dtypes[name], value.shape)
            )
        elif name in reads and node.op == "Identity":
            node.attr["T"].type = dtypes[reads[name]]
            if "_output_shapes" in node.attr:
                del node.attr["_output_shapes"]
        elif name in reads:
            source, read = node.input[0], attr_value_pb2.AttrValue()
            read.CopyFrom(node.attr["dtype"])
            kept = attr_value_pb2.AttrValue()
            if "_class" in node.attr:
                kept.CopyFrom(node.attr["_class"])
            node.Clear()
            node.name, node.op = name, "Identity"
            node.input.append(source)
            node.attr["T"].CopyFrom(read)
            if kept.ByteSize():
                node.attr["_class"].CopyFrom(kept)


def inline_calls_for_freezing(graph_def: Any, fetches: Sequence[str]) -> Any:
    """``graph_def`` with its function calls inlined by Grappler as freezing a concrete function
    does (aggressively, control flow kept as If/While); ``fetches`` are the tensors to keep."""
    import_tensorflow()
    from tensorflow.core.protobuf import config_pb2, meta_graph_pb2, rewriter_config_pb2
    from tensorflow.python.framework import convert_to_constants, meta_graph
    from tensorflow.python.grappler import tf_optimizer

    graph_def = convert_to_constants.disable_lower_using_switch_merge(graph_def)
    for function in graph_def.library.function:
        if "api_implements" in function.attr:
            del function.attr["api_implements"]
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.stripped_op_list.CopyFrom(meta_graph.stripped_op_list_for_graph(graph_def))
    meta.graph_def.CopyFrom(graph_def)
    meta.collection_def["train_op"].node_list.value.extend(fetches)
    config = config_pb2.ConfigProto()
    rewrites = config.graph_options.rewrite_options
    rewrites.min_graph_nodes = -1
    rewrites.optimizers.append("function")
    rewrites.function_optimization = rewriter_config_pb2.RewriterConfig.AGGRESSIVE
    return tf_optimizer.OptimizeGraph(config, meta)


def _constants_in_place_of_reads(graph_def: Any) -> None:
    """Where a variable's only reader became ``Identity(Const)`` (a read, or a call's argument that
    inlining left), the Const takes the Identity's name and place, down each chain: Grappler would
    fold each pair into that same Const, holding a copy of the weight while it does."""
    while True:
        index = nodes_by_name(graph_def)
        readers = consumers(graph_def)
        reads = {}
        for node in graph_def.node:
            if node.op != "Identity" or len(node.input) != 1:
                continue
            source = index.get(node.input[0])
            if source is not None and source.op == "Const" and len(readers[source.name]) == 1:
                reads[node.name] = source
        if not reads:
            return
        replace_nodes(graph_def.node, [n for n in graph_def.node if n.name not in reads])
        for name, const in reads.items():
            const.name = name


TRACE_ATTRS = ("_user_specified_name", "_gradient_op_type")
"""Attributes only the Python process that traced or loaded the graph has use for: the argument
names of placeholders, and the name of a custom gradient registered in that process (loading a
SavedModel numbers it anew, so it would differ with what the process loaded before)."""


def _drop_trace_details(graph_def: Any) -> None:
    """Remove what tracing recorded for debugging (source node names, the attributes of
    ``TRACE_ATTRS``): TF.js ignores it, and a rebuilt function never carried it into model.json."""
    bodies = [function.node_def for function in graph_def.library.function]
    for node in itertools.chain(graph_def.node, *bodies):
        node.ClearField("experimental_debug_info")
        for traced in TRACE_ATTRS:
            if traced in node.attr:
                del node.attr[traced]
