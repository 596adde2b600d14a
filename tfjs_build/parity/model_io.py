"""What a TF.js artifact says about its inputs and outputs, read from ``model.json`` alone.

Layers models describe inputs in ``modelTopology`` (``InputLayer`` entries, or a Sequential first
layer's ``batch_input_shape``) and outputs by their output layers' names; graph models in
``signature.inputs`` / ``signature.outputs`` (TensorInfo JSON). Works on artifacts made by any
converter, since it reads nothing but the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfjs_build.artifact.checks import MAX_DIM, MAX_RANK
from tfjs_build.artifact.format import GRAPH_FORMAT, MODEL_JSON, artifact_format, output_keys
from tfjs_build.errors import ModelIOError
from tfjs_build.malformed import malformed_json

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
_PROBE_DTYPES = frozenset(
    {"float16", "float32", "float64", "int8", "int16", "int32", "int64"}
    | {"uint8", "uint16", "uint32", "uint64", "bool", "string"}
)
_REBUILD = "rebuild the artifact, or check the converter that wrote it"
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


class _Unusable(Exception):
    """The model description cannot say this; :func:`_reading` names the file."""


@contextmanager
def _reading(source: str) -> Iterator[None]:
    """Errors naming ``source``: what the description lacks, or how its JSON is malformed."""
    try:
        with malformed_json(ModelIOError, f"{source}: the model description", _REBUILD):
            yield
    except _Unusable as exc:
        raise ModelIOError(f"{source}: {exc}") from None


def input_specs(model_json: Mapping[str, Any], source: str = MODEL_JSON) -> list[InputSpec]:
    """The inputs of a layers or graph ``model.json`` (read from ``source``, which errors name),
    in the order the model declares them."""
    with _reading(source):
        if artifact_format(model_json) == GRAPH_FORMAT:
            return _graph_input_specs(model_json)
        return _layers_input_specs(model_json)


def _layers_input_specs(model_json: Mapping[str, Any]) -> list[InputSpec]:
    topology = model_json.get("modelTopology") or {}
    model_config = topology.get("model_config", topology)
    if not isinstance(model_config, Mapping) or "config" not in model_config:
        raise _Unusable("modelTopology has no model_config; is this a layers model?")
    return _model_inputs(model_config)


def _model_inputs(model_config: Mapping[str, Any]) -> list[InputSpec]:
    config = model_config["config"]
    layers = config["layers"] if isinstance(config, Mapping) else config
    if model_config.get("class_name") == "Sequential":
        return [_sequential_input(layers)]
    by_name = {layer["config"]["name"]: layer for layer in layers}
    specs = []
    for entry in _as_layer_refs(config.get("input_layers", []), "input_layers"):
        layer = by_name.get(entry)
        if layer is None:
            raise _Unusable(f"input layer {entry!r} is not among the layers")
        specs.append(_input_layer_spec(layer, _embedding_bound(entry, layers)))
    return specs


def _as_layer_refs(refs: Any, key: str) -> list[str]:
    """``input_layers``/``output_layers`` as layer names: a list of ``[name, node, tensor]``, a
    single triple, or (Keras 3 dict inputs) an object of them."""
    if isinstance(refs, Mapping):
        refs = list(refs.values())
    if isinstance(refs, list) and refs and isinstance(refs[0], str):
        refs = [refs]
    if not isinstance(refs, list) or not all(
        isinstance(ref, list) and ref and isinstance(ref[0], str) for ref in refs
    ):
        raise _Unusable(f"{key} is not a list of [layer name, node, tensor] ({refs!r:.80})")
    return [ref[0] for ref in refs]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _Unusable(f"{what} is not a string ({value!r:.80})")
    return value


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Unusable(f"{what} is not an object ({value!r:.80})")
    return value


def _shape(value: Any, what: str) -> tuple[int | None, ...]:
    """A shape as sizes and ``None`` (unknown; ``-1`` too), within the bounds a tensor can have."""
    if not isinstance(value, (list, tuple)) or len(value) > MAX_RANK:
        raise _Unusable(f"{what} has shape {value!r:.80}, not a list of up to {MAX_RANK} sizes")
    dims: list[int | None] = []
    for dim in value:
        # graph TensorShapes write sizes as strings
        size = int(dim) if isinstance(dim, str) and dim.lstrip("-").isdigit() else dim
        if size is not None and (
            not isinstance(size, int) or isinstance(size, bool) or not -1 <= size <= MAX_DIM
        ):
            raise _Unusable(f"{what} has shape {value!r:.80}, with a size that is not valid")
        dims.append(None if size is None or size == -1 else size)
    return tuple(dims)


def _sequential_input(layers: Sequence[Mapping[str, Any]]) -> InputSpec:
    if not layers:
        raise _Unusable("the Sequential model has no layers")
    first = layers[0]
    if first.get("class_name") == "InputLayer":
        following = layers[1] if len(layers) > 1 else None
        return _input_layer_spec(first, _first_embedding_dim(following))
    cfg = first["config"]
    shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
    if shape is None:
        raise _Unusable(
            f"the Sequential model's first layer {cfg.get('name')!r} has no "
            "batch_input_shape; the artifact does not say what its input looks like"
        )
    return InputSpec(
        name=f"{_text(cfg['name'], 'the first layer name')}_input",
        shape=_shape(shape, "the first layer"),
        dtype=_layer_dtype(cfg),
        int_high=_first_embedding_dim(first),
    )


def _input_layer_spec(layer: Mapping[str, Any], int_high: int | None) -> InputSpec:
    cfg = layer["config"]
    shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
    if shape is None:
        raise _Unusable(f"input layer {cfg.get('name')!r} has no batch_input_shape")
    name = _text(cfg["name"], "an input layer name")
    return InputSpec(
        name=name,
        shape=_shape(shape, f"input {name!r}"),
        dtype=_layer_dtype(cfg),
        int_high=int_high,
    )


def _layer_dtype(cfg: Mapping[str, Any]) -> str:
    dtype = cfg.get("dtype") or "float32"
    if isinstance(dtype, Mapping):  # Keras 3 DTypePolicy objects
        dtype = dtype.get("config", {}).get("name", "float32")
    dtype = {"mixed_float16": "float32", "mixed_bfloat16": "float32"}.get(dtype, dtype)
    try:
        name = "string" if dtype == "string" else np.dtype(dtype).name
    except (TypeError, ValueError):
        name = None
    if name not in _PROBE_DTYPES:
        raise _Unusable(
            f"input layer {cfg.get('name')!r:.80} has dtype {dtype!r:.40}, which probes cannot "
            "make; pass your own samples instead"
        )
    return str(name)


def _first_embedding_dim(layer: Mapping[str, Any] | None) -> int | None:
    """``input_dim`` of ``layer`` if it is an Embedding, or starts a nested model with one."""
    if layer is None:
        return None
    if layer.get("class_name") == "Embedding":
        dim = layer["config"]["input_dim"]
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
            raise _Unusable(
                f"Embedding {layer['config'].get('name')!r:.80} has input_dim {dim!r:.40}"
            )
        return dim
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
        raise _Unusable("the graph model has no signature.inputs to build probes from")
    nodes = (model_json.get("modelTopology") or {}).get("node", [])
    weight_shapes = {
        entry["name"]: entry["shape"]
        for group in model_json.get("weightsManifest", [])
        for entry in group.get("weights", [])
    }
    specs = []
    for key, info in _object(inputs, "signature.inputs").items():
        dtype = _GRAPH_DTYPES.get(info.get("dtype", "DT_FLOAT"))
        if dtype is None:
            raise _Unusable(
                f"input {key!r} has dtype {info.get('dtype')}, which probes cannot "
                "make; pass your own samples instead"
            )
        shape = _tensor_shape(info.get("tensorShape", {}), key)
        int_high = None
        if dtype.startswith(("int", "uint")):
            int_high = _gather_bound(info.get("name", key), nodes, weight_shapes)
        specs.append(InputSpec(name=key, shape=shape, dtype=dtype, int_high=int_high))
    return specs


def _tensor_shape(shape: Mapping[str, Any], key: str) -> tuple[int | None, ...] | None:
    if shape.get("unknownRank"):
        return None
    return _shape([dim.get("size", -1) for dim in shape.get("dim", [])], f"input {key!r}")


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
                if rows is not None and rows > 0:
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


def output_names(model_json: Mapping[str, Any], source: str = MODEL_JSON) -> list[str]:
    """The output keys TF.js results get: output layer names (layers; see ``output_keys``),
    signature output keys (graph)."""
    with _reading(source):
        return _output_names(model_json)


def _output_names(model_json: Mapping[str, Any]) -> list[str]:
    if artifact_format(model_json) == GRAPH_FORMAT:
        outputs = (model_json.get("signature") or {}).get("outputs")
        if not outputs:
            raise _Unusable("the graph model has no signature.outputs to compare")
        return [_text(name, "a signature output name") for name in _object(outputs, "outputs")]
    topology = model_json.get("modelTopology") or {}
    model_config = topology.get("model_config", topology)
    config = model_config.get("config") if isinstance(model_config, Mapping) else None
    if config is None:
        raise _Unusable("modelTopology has no model_config; is this a layers model?")
    if model_config.get("class_name") == "Sequential":
        layers = config["layers"] if isinstance(config, Mapping) else config
        return [_text(layers[-1]["config"]["name"], "the last layer's name")]
    return output_keys(_as_layer_refs(config.get("output_layers", []), "output_layers"))
