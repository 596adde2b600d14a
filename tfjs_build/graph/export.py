"""Turn an optimized GraphDef into a TF.js graph-model ``Artifact``.

Constants leave the graph as named weights (TF.js looks every ``Const`` up by node name in one
weight map, function bodies included, so constants inside functions get names unique in the whole
model); the GraphDef without their contents becomes ``modelTopology`` as JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tfjs_build
from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.function_names import name_functions_stably
from tfjs_build.graph.graph_edit import const_value, node_of, rename_node, unique_name
from tfjs_build.graph.scope import Scope, all_scopes

# Fields of a TensorProto that hold values; the shape and dtype stay in the topology.
_VALUE_FIELDS = (
    "tensor_content",
    "half_val",
    "float_val",
    "double_val",
    "int_val",
    "string_val",
    "scomplex_val",
    "int64_val",
    "bool_val",
    "dcomplex_val",
    "resource_handle_val",
    "variant_val",
    "uint32_val",
    "uint64_val",
)
_WEIGHT_KINDS = frozenset("fiub")


def _rename_in_function(scope: Scope, old: str, new: str) -> None:
    rename_node(scope.nodes, old, new)
    function = scope.function
    for key, value in list(function.ret.items()):
        if node_of(value) == old:
            function.ret[key] = value.replace(old, new, 1)


def make_function_constants_unique(graph_def: Any) -> None:
    """Rename Const nodes of function bodies to ``function/node``, unique in the whole model."""
    taken = {node.name for node in graph_def.node}
    for scope in all_scopes(graph_def)[1:]:
        body_names = scope.node_names()
        for node in list(scope.nodes):
            if node.op != "Const":
                continue
            new = unique_name(taken | body_names, f"{scope.function.signature.name}/{node.name}")
            body_names.add(new)
            _rename_in_function(scope, node.name, new)


def _weight(node: Any, where: str) -> np.ndarray:
    value = _value(node)
    if value.dtype == object or value.dtype.kind in "SU":
        return value
    if value.dtype.kind not in _WEIGHT_KINDS:
        raise UnsupportedModelError(
            f"constant {where} has dtype {value.dtype}, which TF.js cannot hold"
        )
    if value.dtype == np.float16:
        raise UnsupportedModelError(
            f"constant {where} is still float16 after the graph was widened to float32 (TF.js graph "
            "models hold no float16 tensors); this is a bug in tfjs-build, please report it"
        )
    return value


def _value(node: Any) -> np.ndarray:
    """The Const's value; numbers in ``tensor_content`` are read with one copy (``const_value``
    makes two), since the weights of a big model are most of the memory a conversion needs."""
    import tensorflow as tf

    tensor = node.attr["value"].tensor
    dtype = tf.dtypes.as_dtype(tensor.dtype)
    if not tensor.tensor_content or dtype.is_quantized or dtype == tf.string:
        return const_value(node)
    shape = [d.size for d in tensor.tensor_shape.dim]
    return np.frombuffer(tensor.tensor_content, dtype=dtype.as_numpy_dtype).reshape(shape)


def extract_weights(graph_def: Any) -> list[tuple[str, np.ndarray]]:
    """Move every constant's value out of the graph, in graph order."""
    weights = []
    for scope in all_scopes(graph_def):
        for node in scope.nodes:
            if node.op != "Const":
                continue
            weights.append((node.name, _weight(node, f"{node.name!r} ({scope.name})")))
            tensor = node.attr["value"].tensor
            for field in _VALUE_FIELDS:
                tensor.ClearField(field)
    return weights


def graph_topology(graph_def: Any) -> dict[str, Any]:
    """The GraphDef as TF.js reads it: protobuf JSON with ``node``, ``library``, ``versions``."""
    from google.protobuf import json_format

    topology: dict[str, Any] = json_format.MessageToDict(graph_def)
    topology.setdefault("node", [])
    topology.setdefault("library", {})
    topology.setdefault("versions", {})
    return topology


def build_artifact(
    graph_def: Any,
    signature: dict[str, Any],
    *,
    generated_by: str,
    initializer: Any | None = None,
) -> Artifact:
    """The graph-model artifact of an optimized, renamed, checked GraphDef; ``initializer`` is the
    ``modelInitializer`` graph TF.js runs once before the model (its constants are weights too)."""
    name_functions_stably(graph_def)
    make_function_constants_unique(graph_def)
    weights = extract_weights(graph_def)
    extra = {}
    if initializer is not None:
        weights += extract_weights(initializer)
        extra["modelInitializer"] = graph_topology(initializer)
    return Artifact(
        format="graph-model",
        topology=graph_topology(graph_def),
        weights=weights,
        signature=signature,
        generated_by=generated_by,
        converted_by=f"tfjs-build {tfjs_build.__version__}",
        extra=extra,
    )
