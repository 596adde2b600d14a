"""What a TF.js artifact says about its inputs and outputs, read from ``model.json`` alone.

Layers models describe inputs in ``modelTopology`` (``InputLayer`` entries, or a Sequential first
layer's ``batch_input_shape``) and outputs by their output layers' names; graph models in
``signature.inputs`` / ``signature.outputs`` (TensorInfo JSON). Works on artifacts made by any
converter, since it reads nothing but the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfjs_build.artifact.format import GRAPH_FORMAT, artifact_format, output_keys
from tfjs_build.errors import ModelIOError

_GRAPH_DTYPES = {
    "DT_FLOAT": "float32",
    "DT_HALF": "float16",
    "DT_DOUBLE": "float64",
    "DT_INT32": "int32",
    "DT_INT64": "int64",
    "DT_INT16": "int16",
    "DT_INT8": "int8",
    "DT_UINT8": "uint8",
    "DT_BOOL": "bool",
    "DT_STRING": "string",
}
_PASS_THROUGH_OPS = {"Identity", "Cast", "StopGradient", "Reshape", "ExpandDims", "Squeeze"}
_GATHER_OPS = {"GatherV2", "Gather", "ResourceGather"}


@dataclass(frozen=True)
class InputSpec:
    """One model input as the artifact describes it.

    ``shape`` uses ``None`` for unknown dimensions (``None`` as a whole for unknown rank);
    ``dtype`` is a numpy dtype name or ``"string"``; ``int_high`` is an exclusive upper bound for
    integer values when the model shows one (an Embedding's ``input_dim``).
    """

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str
    int_high: int | None = None


def input_specs(model_json: Mapping[str, Any]) -> list[InputSpec]:
    """The inputs of a layers or graph ``model.json``, in the order the model declares them."""
    if artifact_format(model_json) == GRAPH_FORMAT:
        return _graph_input_specs(model_json)
    return _layers_input_specs(model_json)


def _layers_input_specs(model_json: Mapping[str, Any]) -> list[InputSpec]:
    topology = model_json.get("modelTopology") or {}
    model_config = topology.get("model_config", topology)
    if not isinstance(model_config, Mapping) or "config" not in model_config:
        raise ModelIOError("model.json: modelTopology has no model_config; is this a layers model?")
    return _model_inputs(model_config)


def _model_inputs(model_config: Mapping[str, Any]) -> list[InputSpec]:
    config = model_config["config"]
    layers = config["layers"] if isinstance(config, Mapping) else config
    if model_config.get("class_name") == "Sequential":
        return [_sequential_input(layers)]
    by_name = {layer["config"]["name"]: layer for layer in layers}
    specs = []
    for entry in _as_layer_refs(config.get("input_layers", [])):
        layer = by_name.get(entry)
        if layer is None:
            raise ModelIOError(f"model.json: input layer {entry!r} is not among the layers")
        specs.append(_input_layer_spec(layer, _embedding_bound(entry, layers)))
    return specs


def _as_layer_refs(refs: Any) -> list[str]:
    """``input_layers`` as a list of layer names (``[name, node, tensor]`` or a single triple)."""
    if isinstance(refs, Mapping):
        refs = list(refs.values())
    if refs and isinstance(refs[0], str):
        refs = [refs]
    return [ref[0] for ref in refs]


def _sequential_input(layers: Sequence[Mapping[str, Any]]) -> InputSpec:
    if not layers:
        raise ModelIOError("model.json: the Sequential model has no layers")
    first = layers[0]
    if first.get("class_name") == "InputLayer":
        following = layers[1] if len(layers) > 1 else None
        return _input_layer_spec(first, _first_embedding_dim(following))
    cfg = first["config"]
    shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
    if shape is None:
        raise ModelIOError(
            f"model.json: the Sequential model's first layer {cfg.get('name')!r} has no "
            "batch_input_shape; the artifact does not say what its input looks like"
        )
    return InputSpec(
        name=f"{cfg['name']}_input",
        shape=tuple(shape),
        dtype=_layer_dtype(cfg),
        int_high=_first_embedding_dim(first),
    )


def _input_layer_spec(layer: Mapping[str, Any], int_high: int | None) -> InputSpec:
    cfg = layer["config"]
    shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
    if shape is None:
        raise ModelIOError(f"model.json: input layer {cfg.get('name')!r} has no batch_input_shape")
    return InputSpec(
        name=cfg["name"], shape=tuple(shape), dtype=_layer_dtype(cfg), int_high=int_high
    )


def _layer_dtype(cfg: Mapping[str, Any]) -> str:
    dtype = cfg.get("dtype") or "float32"
    if isinstance(dtype, Mapping):  # Keras 3 DTypePolicy objects
        dtype = dtype.get("config", {}).get("name", "float32")
    dtype = {"mixed_float16": "float32", "mixed_bfloat16": "float32"}.get(dtype, dtype)
    return "string" if dtype == "string" else str(np.dtype(dtype))


def _first_embedding_dim(layer: Mapping[str, Any] | None) -> int | None:
    """``input_dim`` of ``layer`` if it is an Embedding, or starts a nested model with one."""
    if layer is None:
        return None
    if layer.get("class_name") == "Embedding":
        return int(layer["config"]["input_dim"])
    if layer.get("class_name") == "Sequential":
        inner = layer["config"]["layers"] if isinstance(layer["config"], Mapping) else []
        for candidate in inner:
            if candidate.get("class_name") != "InputLayer":
                return _first_embedding_dim(candidate)
    return None


def _embedding_bound(input_name: str, layers: Sequence[Mapping[str, Any]]) -> int | None:
    """Smallest ``input_dim`` of the Embeddings the input feeds directly, if any."""
    bounds = [
        dim
        for layer in layers
        if input_name in _inbound_layer_names(layer)
        and (dim := _first_embedding_dim(layer)) is not None
    ]
    return min(bounds) if bounds else None


def _inbound_layer_names(layer: Mapping[str, Any]) -> set[str]:
    """Names of the layers feeding ``layer``, from Keras-2 nested lists or Keras-3 node dicts."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            history = node.get("keras_history")
            if history is not None:
                names.add(history[0])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
                names.add(node[0])
                return
            for value in node:
                walk(value)

    walk(layer.get("inbound_nodes", []))
    return names


def _graph_input_specs(model_json: Mapping[str, Any]) -> list[InputSpec]:
    signature = model_json.get("signature") or {}
    inputs = signature.get("inputs")
    if not inputs:
        raise ModelIOError(
            "model.json: the graph model has no signature.inputs to build probes from"
        )
    nodes = (model_json.get("modelTopology") or {}).get("node", [])
    weight_shapes = {
        entry["name"]: entry["shape"]
        for group in model_json.get("weightsManifest", [])
        for entry in group.get("weights", [])
    }
    specs = []
    for key, info in inputs.items():
        dtype = _GRAPH_DTYPES.get(info.get("dtype", "DT_FLOAT"))
        if dtype is None:
            raise ModelIOError(
                f"model.json: input {key!r} has dtype {info.get('dtype')}, which probes cannot "
                "make; pass your own samples instead"
            )
        shape = _tensor_shape(info.get("tensorShape", {}))
        int_high = None
        if dtype.startswith(("int", "uint")):
            int_high = _gather_bound(info.get("name", key), nodes, weight_shapes)
        specs.append(InputSpec(name=key, shape=shape, dtype=dtype, int_high=int_high))
    return specs


def _tensor_shape(shape: Mapping[str, Any]) -> tuple[int | None, ...] | None:
    if shape.get("unknownRank"):
        return None
    dims = []
    for dim in shape.get("dim", []):
        size = int(dim.get("size", -1))
        dims.append(None if size < 0 else size)
    return tuple(dims)


def _gather_bound(
    tensor_name: str, nodes: Sequence[Mapping[str, Any]], weight_shapes: Mapping[str, list[int]]
) -> int | None:
    """Rows of the table an integer input indexes, when it reaches a Gather's indices."""
    consumers: dict[str, list[tuple[Mapping[str, Any], int]]] = {}
    for node in nodes:
        for position, ref in enumerate(node.get("input", [])):
            consumers.setdefault(_node_name(ref), []).append((node, position))
    bounds = []
    frontier, seen = [_node_name(tensor_name)], set()
    while frontier:
        name = frontier.pop()
        if name in seen:
            continue
        seen.add(name)
        for node, position in consumers.get(name, []):
            if node.get("op") in _PASS_THROUGH_OPS and position == 0:
                frontier.append(node["name"])
            elif node.get("op") in _GATHER_OPS and position == 1:
                table = _node_name(node["input"][0])
                rows = _const_rows(table, nodes, weight_shapes)
                if rows is not None:
                    bounds.append(rows)
    return min(bounds) if bounds else None


def _const_rows(
    name: str, nodes: Sequence[Mapping[str, Any]], weight_shapes: Mapping[str, list[int]]
) -> int | None:
    if weight_shapes.get(name):
        return int(weight_shapes[name][0])
    for node in nodes:
        if node.get("name") == name and node.get("op") == "Const":
            dims = node.get("attr", {}).get("value", {}).get("tensor", {}).get("tensorShape", {})
            sizes = dims.get("dim", [])
            return int(sizes[0]["size"]) if sizes else None
    return None


def _node_name(ref: str) -> str:
    return ref.lstrip("^").split(":")[0]


def output_names(model_json: Mapping[str, Any]) -> list[str]:
    """The output keys TF.js results get: output layer names (layers; see ``output_keys``),
    signature output keys (graph)."""
    if artifact_format(model_json) == GRAPH_FORMAT:
        outputs = (model_json.get("signature") or {}).get("outputs")
        if not outputs:
            raise ModelIOError("model.json: the graph model has no signature.outputs to compare")
        return list(outputs)
    topology = model_json.get("modelTopology") or {}
    model_config = topology.get("model_config", topology)
    config = model_config.get("config") if isinstance(model_config, Mapping) else None
    if config is None:
        raise ModelIOError("model.json: modelTopology has no model_config; is this a layers model?")
    if model_config.get("class_name") == "Sequential":
        layers = config["layers"] if isinstance(config, Mapping) else config
        return [layers[-1]["config"]["name"]]
    return output_keys(_as_layer_refs(config.get("output_layers", [])))
