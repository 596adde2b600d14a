"""What a ``model.json`` topology declares: inputs, outputs, layer classes or ops. Standard library
only, so that reading artifacts from git (``tfjs-build diff``) imports no numpy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tfjs_build.artifact.format import GRAPH_FORMAT, artifact_format


@dataclass(frozen=True)
class TensorDescription:
    """An input or output: name, shape (None for unknown dims) and dtype."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str


def tensors_json(items: list[TensorDescription]) -> list[dict[str, Any]]:
    """Inputs or outputs as JSON-ready dicts."""
    return [
        {"name": t.name, "shape": list(t.shape) if t.shape is not None else None, "dtype": t.dtype}
        for t in items
    ]


@dataclass
class Topology:
    """The signature and the building blocks of one ``model.json``."""

    format: str
    inputs: list[TensorDescription]
    outputs: list[TensorDescription]
    layers: Counter[str] = field(default_factory=Counter)
    ops: Counter[str] = field(default_factory=Counter)


def layers_inputs(model_config: dict[str, Any]) -> list[TensorDescription]:
    """The inputs a layers-model topology declares (its InputLayers, or a Sequential's first
    layer's ``batch_input_shape``)."""
    config = model_config.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    described: list[TensorDescription] = []
    for layer in layers:
        layer_config = layer.get("config", {})
        shape = layer_config.get("batch_input_shape") or layer_config.get("batch_shape")
        if layer.get("class_name") == "InputLayer" or (
            shape and not described and model_config.get("class_name") == "Sequential"
        ):
            dtype = layer_config.get("dtype", "float32")
            described.append(
                TensorDescription(
                    str(layer_config.get("name", layer.get("name", "?"))),
                    _dims(shape) if shape else None,
                    dtype if isinstance(dtype, str) else "float32",
                )
            )
    return described


def _dims(shape: Any) -> tuple[int | None, ...]:
    """A shape of whole sizes and ``None`` (a TF.js ``-1`` or ``"-1"`` is unknown too)."""
    if not isinstance(shape, list):
        raise TypeError(f"a shape is a {type(shape).__name__}, not a list")
    dims: list[int | None] = []
    for dim in shape:
        size = int(dim) if isinstance(dim, (int, str)) and not isinstance(dim, bool) else dim
        if size is not None and not isinstance(size, int):
            raise TypeError(f"a shape holds {dim!r:.40}")
        dims.append(None if size is None or size < 0 else size)
    return tuple(dims)


def layers_outputs(model_config: dict[str, Any]) -> list[TensorDescription]:
    """The outputs of a layers-model topology, by output layer name (shapes unknown)."""
    config = model_config.get("config", {})
    if model_config.get("class_name") == "Sequential":
        layers = config.get("layers", []) if isinstance(config, dict) else config
        return (
            [TensorDescription(str(layers[-1]["config"]["name"]), None, "float32")]
            if layers
            else []
        )
    outputs = config.get("output_layers", [])
    if not isinstance(outputs, list):
        raise TypeError(f"output_layers is a {type(outputs).__name__}, not a list")
    return [TensorDescription(str(item[0]), None, "float32") for item in outputs]


def _tensor_info(key: str, info: dict[str, Any]) -> TensorDescription:
    dims = info.get("tensorShape", {}).get("dim")
    shape = None if dims is None else _dims([d.get("size", -1) for d in dims])
    dtype = str(info.get("dtype", "?")).removeprefix("DT_").lower()
    return TensorDescription(key, shape, dtype)


def count_layers(model_config: dict[str, Any], counter: Counter[str]) -> None:
    """Add the classes of a model config's layers (nested models' too) to ``counter``."""
    config = model_config.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    for layer in layers:
        counter[str(layer.get("class_name", "?"))] += 1
        if isinstance(layer.get("config"), dict) and "layers" in layer["config"]:
            count_layers(layer, counter)


def describe_topology(document: dict[str, Any]) -> Topology:
    """The topology of ``document`` (a ``model.json``); ``KeyError``, ``TypeError`` or
    ``AttributeError`` when it is malformed (callers say which file)."""
    topology = document["modelTopology"]
    described = Topology(artifact_format(document), [], [])
    if described.format == GRAPH_FORMAT:
        signature = document.get("signature") or {}
        described.inputs = [_tensor_info(k, v) for k, v in _items(signature.get("inputs"))]
        described.outputs = [_tensor_info(k, v) for k, v in _items(signature.get("outputs"))]
        described.ops.update(str(node.get("op", "?")) for node in topology.get("node") or [])
    else:
        model_config = topology.get("model_config", topology)
        described.inputs = layers_inputs(model_config)
        described.outputs = layers_outputs(model_config)
        count_layers(model_config, described.layers)
    return described


def _items(value: Any) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return [(str(key), item) for key, item in value.items()]
