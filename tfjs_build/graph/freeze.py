"""Freeze a concrete function: variables become constants, inputs and outputs get stable keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import UnsupportedModelError
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
    lookup tables become ``HashTableV2`` nodes whose contents are exported (see ``tables``)."""
    import_tensorflow()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    inputs = input_bindings(function, source)
    forget_table_initializers(function)
    try:
        frozen = convert_variables_to_constants_v2(
            function, lower_control_flow=False, aggressive_inlining=True
        )
    except Exception as exc:  # TensorFlow raises ValueError, InvalidArgumentError, ...
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UnsupportedModelError(
            f"{source}: cannot freeze the variables of this function: {first_line}"
        ) from None
    renamed = [
        TensorBinding(b.key, t.name, b.dtype, b.shape)
        for b, t in zip(inputs, frozen.inputs[: len(inputs)], strict=True)
    ]
    graph_def = frozen.graph.as_graph_def()
    return FrozenGraph(
        graph_def=graph_def,
        inputs=renamed,
        outputs=output_bindings(function, source, frozen.outputs),
        source=source,
        tables=materialize_tables(graph_def, function, source),
    )
