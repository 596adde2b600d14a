"""Describe any TF.js artifact from its ``model.json`` and shard files, without TF.js."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.artifact.checks import expected_bytes, shard_file_problem
from tfjs_build.artifact.files import read_model_json
from tfjs_build.artifact.format import GRAPH_FORMAT, MODEL_JSON, PARITY_JSON, artifact_format
from tfjs_build.errors import ArtifactError
from tfjs_build.malformed import malformed_json


@dataclass(frozen=True)
class TensorDescription:
    """An input or output: name, shape (None for unknown dims) and dtype."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str


@dataclass(frozen=True)
class WeightDescription:
    """A weight: the name quantization patterns match, its shape, dtype and quantization."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "quantization": self.quantization,
        }


def tensors_json(items: list[TensorDescription]) -> list[dict[str, Any]]:
    """Inputs or outputs as JSON-ready dicts."""
    return [
        {"name": t.name, "shape": list(t.shape) if t.shape is not None else None, "dtype": t.dtype}
        for t in items
    ]


@dataclass
class ArtifactSummary:
    """What ``tfjs-build inspect`` shows."""

    path: Path
    format: str
    converted_by: str | None
    generated_by: str | None
    inputs: list[TensorDescription]
    outputs: list[TensorDescription]
    layers: Counter[str] = field(default_factory=Counter)
    ops: Counter[str] = field(default_factory=Counter)
    weights: int = 0
    parameters: int = 0
    quantization: Counter[str] = field(default_factory=Counter)
    shards: list[str] = field(default_factory=list)
    shard_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    weight_list: list[WeightDescription] = field(default_factory=list)
    proven_in: str | None = None
    """The TF.js release the build's parity check ran in (``parity.json``), if it says."""

    def to_json(self, *, weights: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``inspect --json``; ``weights``: with ``weightList``)."""
        listing = {"weightList": [w.to_json() for w in self.weight_list]} if weights else {}
        return {
            "path": str(self.path),
            "format": self.format,
            "convertedBy": self.converted_by,
            "generatedBy": self.generated_by,
            "inputs": tensors_json(self.inputs),
            "outputs": tensors_json(self.outputs),
            "layers": dict(sorted(self.layers.items())),
            "ops": dict(sorted(self.ops.items())),
            "weights": self.weights,
            "parameters": self.parameters,
            "quantization": dict(sorted(self.quantization.items())),
            "shards": self.shards,
            "shardBytes": self.shard_bytes,
            "problems": self.problems,
            "provenIn": self.proven_in,
            **listing,
        }


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


def summarize_artifact(directory: Path) -> ArtifactSummary:
    """Summarize the artifact in ``directory`` and list any inconsistency between manifest and shards."""
    directory = Path(directory)
    document = read_model_json(directory)
    summary = ArtifactSummary(
        directory,
        artifact_format(document),
        document.get("convertedBy"),
        document.get("generatedBy"),
        [],
        [],
    )
    with malformed_json(
        ArtifactError,
        f"{directory / MODEL_JSON}: modelTopology",
        "is it a TF.js model.json? Rebuild the artifact",
    ):
        _describe_topology(document, summary)
    _describe_weights(document, summary)
    summary.proven_in = _proven_in(directory)
    return summary


def _proven_in(directory: Path) -> str | None:
    """``parity.json``'s ``tfjs``: None without one, or from a build before it was recorded."""
    try:
        record = json.loads((directory / PARITY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    release = record.get("tfjs") if isinstance(record, dict) else None
    return release if isinstance(release, str) else None


def _describe_topology(document: dict[str, Any], summary: ArtifactSummary) -> None:
    topology = document["modelTopology"]
    if summary.format == GRAPH_FORMAT:
        signature = document.get("signature") or {}
        summary.inputs = [_tensor_info(k, v) for k, v in _items(signature.get("inputs"))]
        summary.outputs = [_tensor_info(k, v) for k, v in _items(signature.get("outputs"))]
        summary.ops.update(str(node.get("op", "?")) for node in topology.get("node") or [])
    else:
        model_config = topology.get("model_config", topology)
        summary.inputs = layers_inputs(model_config)
        summary.outputs = layers_outputs(model_config)
        count_layers(model_config, summary.layers)


def _items(value: Any) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return [(str(key), item) for key, item in value.items()]


def _describe_weights(document: dict[str, Any], summary: ArtifactSummary) -> None:
    """Count weights and check the shards against the (already type-checked) manifest."""
    directory, expected = summary.path, 0
    for group in document.get("weightsManifest") or []:
        entries = group.get("weights", [])
        for entry in entries:
            summary.weights += 1
            summary.parameters += math.prod(entry["shape"])
            quantization = (entry.get("quantization") or {}).get("dtype")
            summary.quantization[quantization or "none"] += 1
            summary.weight_list.append(
                WeightDescription(
                    entry["name"], tuple(entry["shape"]), entry["dtype"], quantization
                )
            )
        size = expected_bytes(entries)
        expected = -1 if expected < 0 or size is None else expected + size
        for relative in group.get("paths", []):
            summary.shards.append(relative)
            problem = shard_file_problem(directory, relative)
            if problem:
                summary.problems.append(f"shard {relative} {problem}")
            else:
                summary.shard_bytes += (directory / relative).stat().st_size
    if expected >= 0 and not summary.problems and expected != summary.shard_bytes:
        summary.problems.append(
            f"the manifest describes {expected} bytes of weights but the shards hold {summary.shard_bytes}"
        )
