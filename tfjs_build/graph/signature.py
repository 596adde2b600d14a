"""Name the graph's inputs and outputs after the signature keys and write the TF.js signature.

A TF.js user then asks for an output by its key (``probabilities``), and the node behind it has
that name too, the same on every conversion (TensorFlow's own names, ``Identity_1``, follow the
order outputs were traced in).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tfjs_build.graph.freeze import TensorBinding
from tfjs_build.graph.graph_edit import DType, add_node, nodes_by_name, rename_node, unique_name

_INVALID_NODE_CHARS = re.compile(r"[^A-Za-z0-9_.\-/]")


def node_name_for(key: str) -> str:
    """A valid TensorFlow node name close to ``key``."""
    name = _INVALID_NODE_CHARS.sub("_", key).strip("/") or "tensor"
    return name if re.match(r"[A-Za-z0-9.]", name) else f"t{name}"


def _free_name(graph_def: Any, wanted: str, keep: str | None) -> str:
    """Make ``wanted`` usable as a node name: another node holding it is renamed out of the way.

    Returns the name the node that held ``wanted`` has now (``wanted`` when none was moved).
    """
    names = set(nodes_by_name(graph_def))
    if wanted in names and wanted != keep:
        moved = unique_name(names, f"{wanted}_node")
        rename_node(graph_def.node, wanted, moved)
        return moved
    return wanted


def name_inputs(graph_def: Any, inputs: Sequence[TensorBinding]) -> list[TensorBinding]:
    """Rename each input placeholder to its key; re-add placeholders Grappler dropped as unused."""
    index = nodes_by_name(graph_def)
    named = []
    for binding in inputs:
        target = node_name_for(binding.key)
        if binding.node not in index:
            _free_name(graph_def, target, None)
            _add_placeholder(graph_def, target, binding)
        elif binding.node != target:
            _free_name(graph_def, target, binding.node)
            rename_node(graph_def.node, binding.node, target)
        index = nodes_by_name(graph_def)
        named.append(TensorBinding(binding.key, f"{target}:0", binding.dtype, binding.shape))
    return named


def _add_placeholder(graph_def: Any, name: str, binding: TensorBinding) -> None:
    node = add_node(
        graph_def.node, "Placeholder", name, [], {"dtype": DType(tf_enum(binding.dtype))}
    )
    if binding.shape is None:
        node.attr["shape"].shape.unknown_rank = True
    else:
        for size in binding.shape:
            node.attr["shape"].shape.dim.add().size = size


def name_outputs(
    graph_def: Any, outputs: Sequence[TensorBinding], input_nodes: Sequence[str]
) -> list[TensorBinding]:
    """Make each output the first output of an Identity node named after its key."""
    named = []
    reserved = set(input_nodes)
    for binding in outputs:
        target = node_name_for(binding.key)
        if target in reserved:
            target = unique_name(set(nodes_by_name(graph_def)) | reserved, f"{target}_output")
        index = nodes_by_name(graph_def)
        node = index.get(binding.node)
        shared = sum(1 for b in outputs if b.node == binding.node) > 1
        own_identity = (
            node is not None
            and node.op == "Identity"
            and binding.tensor.endswith(":0")
            and binding.node not in reserved
            and not shared
        )
        if own_identity:
            if binding.node != target:
                _free_name(graph_def, target, binding.node)
                rename_node(graph_def.node, binding.node, target)
        else:
            # The node holding the key's name may be this output's own producer (a TF1 op named
            # "output" under the key "output"): read it under the name it has once moved aside.
            moved = _free_name(graph_def, target, None)
            node_name, _, output_index = binding.tensor.partition(":")
            if node_name == target:
                node_name = moved
            source = node_name if output_index in ("", "0") else f"{node_name}:{output_index}"
            add_node(
                graph_def.node, "Identity", target, [source], {"T": DType(tf_enum(binding.dtype))}
            )
        reserved.add(target)
        named.append(TensorBinding(binding.key, f"{target}:0", binding.dtype, binding.shape))
    return named


def tf_enum(dtype: str) -> int:
    import tensorflow as tf

    return int(tf.as_dtype(dtype).as_datatype_enum)


def _tensor_info(binding: TensorBinding) -> dict[str, Any]:
    from tensorflow.core.framework import types_pb2

    info: dict[str, Any] = {
        "name": binding.tensor,
        "dtype": types_pb2.DataType.Name(tf_enum(binding.dtype)),
    }
    if binding.shape is None:
        info["tensorShape"] = {"unknownRank": True}
    else:
        info["tensorShape"] = {"dim": [{"size": str(size)} for size in binding.shape]}
    return info


def tfjs_signature(
    inputs: Sequence[TensorBinding], outputs: Sequence[TensorBinding]
) -> dict[str, Any]:
    """The ``signature`` of model.json: inputs and outputs by key, with tensor names, dtypes, shapes."""
    return {
        "inputs": {b.key: _tensor_info(b) for b in inputs},
        "outputs": {b.key: _tensor_info(b) for b in outputs},
    }


def check_no_captured_inputs(graph_def: Any, inputs: Sequence[TensorBinding], source: str) -> None:
    """Raise if a Placeholder outside the signature remains: a captured resource (neither a
    variable nor a lookup table) that freezing could not turn into constants, which nobody could
    feed in TF.js."""
    from tfjs_build.errors import UnsupportedModelError
    from tfjs_build.graph.graph_edit import consumers

    expected = {b.node for b in inputs}
    readers = consumers(graph_def)
    for node in graph_def.node:
        if node.op.startswith("Placeholder") and node.name not in expected:
            users = (
                ", ".join(f"{r.name} ({r.op})" for r in readers.get(node.name, [])[:3]) or "nothing"
            )
            raise UnsupportedModelError(
                f"{source}: the graph captures {node.name!r} ({_dtype_label(node)}), read by {users}, "
                "which freezing cannot turn into a constant; export a signature without it"
            )


def _dtype_label(node: Any) -> str:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(node.attr["dtype"].type) if "dtype" in node.attr else "no dtype"
