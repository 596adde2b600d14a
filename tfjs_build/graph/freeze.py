"""Freeze a concrete function: variables become constants, inputs and outputs get stable keys."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.graph_edit import consumers, nodes_by_name, prune, replace_nodes
from tfjs_build.graph.tables import TableContents, forget_table_initializers, materialize_tables

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


def _key_from_path(path: tuple[Any, ...], index: int, prefix: str) -> str:
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
            _binding(_key_from_path(path, j, "input"), tensors[len(positional) + j], source)
        )
    return bindings


def _binding(key: str, tensor: Any, source: str) -> TensorBinding:
    dtype = tensor.dtype.name
    if dtype not in FEEDABLE_DTYPES:
        raise UnsupportedModelError(
            f"{source}: input {key!r} ({tensor.name}) is a {dtype} tensor, which TF.js cannot feed; "
            "export a signature whose inputs are numbers, booleans or strings"
        )
    return TensorBinding(key, tensor.name, dtype, _shape(tensor))


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
    bindings = []
    for i, ((path, _), tensor) in enumerate(zip(flat, tensors, strict=True)):
        key = _key_from_path(path, i, "output")
        if tensor.dtype.name in ("resource", "variant"):
            raise UnsupportedModelError(
                f"{source}: output {key!r} ({tensor.name}) is a {tensor.dtype.name} tensor; TF.js cannot return it"
            )
        bindings.append(TensorBinding(key, tensor.name, tensor.dtype.name, _shape(tensor)))
    return bindings


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
    prune(graph_def, [b.node for b in inputs] + [b.node for b in outputs])
    return FrozenGraph(
        graph_def=graph_def,
        inputs=inputs,
        outputs=outputs,
        source=source,
        tables=materialize_tables(graph_def, function, source),
    )


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
    _drop_trace_details(graph_def)
    _constants_in_place_of_reads(graph_def)
    return graph_def


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


def _drop_trace_details(graph_def: Any) -> None:
    """Remove what tracing recorded for debugging (source node names, the Python argument names
    of placeholders): TF.js ignores it, and a rebuilt function never carried it into model.json."""
    bodies = [function.node_def for function in graph_def.library.function]
    for node in itertools.chain(graph_def.node, *bodies):
        node.ClearField("experimental_debug_info")
        if "_user_specified_name" in node.attr:
            del node.attr["_user_specified_name"]
