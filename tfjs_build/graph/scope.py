"""One place nodes live (the top-level graph or a function body), with its reference syntax.

Top-level nodes are read as ``name`` or ``name:1``; nodes inside a function body as
``name:output_arg:0``. Passes that add or replace nodes go through a ``Scope`` so they work on both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tfjs_build.graph.graph_edit import DType, add_node, node_of


def output_arg_name(op: str) -> str:
    """The name of the first output of ``op`` (``Relu`` -> ``activations``)."""
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op)
    if op_def is None or not op_def.output_arg:
        return "output"
    return str(op_def.output_arg[0].name)


def attr_names(op: str) -> set[str] | None:
    """The attributes ``op`` declares, or None for an op TensorFlow does not know."""
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op)
    return None if op_def is None else {attr.name for attr in op_def.attr}


class Scope:
    """Nodes of the top-level graph (``function`` is None) or of one function body."""

    def __init__(self, graph_def: Any, function: Any = None) -> None:
        self.graph_def = graph_def
        self.function = function
        self.nodes = graph_def.node if function is None else function.node_def

    @property
    def name(self) -> str:
        return "graph" if self.function is None else f"function {self.function.signature.name}"

    def ref(self, node: Any) -> str:
        """A reference to the first output of ``node``."""
        if self.function is None:
            return str(node.name)
        return f"{node.name}:{output_arg_name(node.op)}:0"

    def add(
        self, op: str, name: str, inputs: Sequence[str], attrs: Mapping[str, Any] | None = None
    ) -> Any:
        return add_node(self.nodes, op, name, inputs, attrs)

    def add_scalar(self, name: str, value: float, dtype_enum: int) -> Any:
        import tensorflow as tf

        return self.add_const(
            name, np.asarray(value, dtype=tf.dtypes.as_dtype(dtype_enum).as_numpy_dtype)
        )

    def add_const(self, name: str, value: np.ndarray) -> Any:
        import tensorflow as tf

        tensor = tf.make_tensor_proto(value)
        node = self.nodes.add()
        node.op, node.name = "Const", name
        node.attr["dtype"].type = tensor.dtype
        node.attr["value"].tensor.CopyFrom(tensor)
        return node

    def retarget_first_output(self, name: str, old_op: str, new_op: str) -> None:
        """After node ``name`` changed from ``old_op`` to ``new_op``, fix function-body readers."""
        if self.function is None:
            return
        old_arg, new_arg = output_arg_name(old_op), output_arg_name(new_op)
        if old_arg == new_arg:
            return
        old_ref, new_ref = f"{name}:{old_arg}:0", f"{name}:{new_arg}:0"
        for node in self.nodes:
            for i, reference in enumerate(node.input):
                if reference == old_ref:
                    node.input[i] = new_ref
        for key, value in self.function.ret.items():
            if value == old_ref:
                self.function.ret[key] = new_ref

    def unique(self, wanted: str) -> str:
        taken = {node.name for node in self.nodes}
        name, suffix = wanted, 0
        while name in taken:
            suffix += 1
            name = f"{wanted}_{suffix}"
        return name

    def node_names(self) -> set[str]:
        return {node.name for node in self.nodes}

    def find(self, reference: str) -> Any | None:
        wanted = node_of(reference)
        for node in self.nodes:
            if node.name == wanted:
                return node
        return None


def all_scopes(graph_def: Any) -> list[Scope]:
    """The top-level graph and every function body of its library."""
    return [Scope(graph_def)] + [Scope(graph_def, f) for f in graph_def.library.function]


class Builder:
    """Emits the replacement of one node into its scope, named after it.

    The replacement's final node later takes over the node's name (``take_over``), so readers of
    the node need no change.
    """

    def __init__(self, scope: Scope, node: Any, backends: Sequence[str] = ()) -> None:
        self.scope, self.node = scope, node
        self.backends = tuple(backends)
        """The target backends, for a lowering right on some of them only."""
        self.dtype = node.attr["T"].type if "T" in node.attr else 1  # DT_FLOAT
        self.count = 0

    @property
    def data(self) -> list[str]:
        return [r for r in self.node.input if not r.startswith("^")]

    @property
    def controls(self) -> list[str]:
        return [r for r in self.node.input if r.startswith("^")]

    def emit(
        self,
        op: str,
        inputs: Sequence[str],
        attrs: Mapping[str, Any] | None = None,
        *,
        typed: bool = True,
    ) -> Any:
        self.count += 1
        name = self.scope.unique(f"{self.node.name}/_{op}_{self.count}")
        base: dict[str, Any] = {"T": DType(self.dtype)} if typed else {}
        return self.scope.add(op, name, inputs, {**base, **(attrs or {})})

    def op(self, op: str, *inputs: str, attrs: Mapping[str, Any] | None = None) -> str:
        return self.scope.ref(self.emit(op, list(inputs), attrs))

    def scalar(self, value: float) -> str:
        self.count += 1
        name = self.scope.unique(f"{self.node.name}/_c{self.count}")
        return self.scope.ref(self.scope.add_scalar(name, value, self.dtype))

    def const(self, value: np.ndarray) -> Any:
        """Add a Const node named after the node being replaced."""
        self.count += 1
        return self.scope.add_const(self.scope.unique(f"{self.node.name}/_c{self.count}"), value)

    def ints(self, values: Sequence[int] | int) -> str:
        """A reference to an int32 constant: a vector, or a scalar when ``values`` is an int."""
        return self.scope.ref(self.const(np.asarray(values, dtype=np.int32)))

    def take_over(self, last_ref: str) -> str:
        """Give the node behind ``last_ref`` the node's name and control inputs; return the
        node's new (temporary) name, for removal."""
        last = self.scope.find(last_ref)
        assert last is not None
        old_name, old_op = self.node.name, self.node.op
        self.node.name = self.scope.unique(f"{old_name}/_replaced")
        last.name = old_name
        last.input.extend(c for c in self.controls if c not in last.input)
        self.scope.retarget_first_output(old_name, old_op, last.op)
        return str(self.node.name)
