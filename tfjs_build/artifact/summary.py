"""Describe any TF.js artifact from its ``model.json`` and shard files, without TF.js."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.artifact.files import read_model_json
from tfjs_build.artifact.format import GRAPH_FORMAT, artifact_format
from tfjs_build.artifact.manifest import STORED_ITEM_BYTES


@dataclass(frozen=True)
class TensorDescription:
    """An input or output: name, shape (None for unknown dims) and dtype."""

    name: str
    shape: tuple[int | None, ...] | None
    dtype: str


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

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``inspect --json``)."""

        def tensors(items: list[TensorDescription]) -> list[dict[str, Any]]:
            return [
                {
                    "name": t.name,
                    "shape": list(t.shape) if t.shape is not None else None,
                    "dtype": t.dtype,
                }
                for t in items
            ]

        return {
            "path": str(self.path),
            "format": self.format,
            "convertedBy": self.converted_by,
            "generatedBy": self.generated_by,
            "inputs": tensors(self.inputs),
            "outputs": tensors(self.outputs),
            "layers": dict(sorted(self.layers.items())),
            "ops": dict(sorted(self.ops.items())),
            "weights": self.weights,
            "parameters": self.parameters,
            "quantization": dict(sorted(self.quantization.items())),
            "shards": self.shards,
            "shardBytes": self.shard_bytes,
            "problems": self.problems,
        }


def _layer_config_inputs(model_config: dict[str, Any]) -> list[TensorDescription]:
    config = model_config.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    described: list[TensorDescription] = []
    for layer in layers:
        layer_config = layer.get("config", {})
        shape = layer_config.get("batch_input_shape") or layer_config.get("batch_shape")
        if layer.get("class_name") == "InputLayer" or (
            shape and not described and model_config.get("class_name") == "Sequential"
        ):
            described.append(
                TensorDescription(
                    layer_config.get("name", layer.get("name", "?")),
                    tuple(shape) if shape else None,
                    str(layer_config.get("dtype", "float32"))
                    if isinstance(layer_config.get("dtype", "float32"), str)
                    else "float32",
                )
            )
    return described


def _layers_outputs(model_config: dict[str, Any]) -> list[TensorDescription]:
    config = model_config.get("config", {})
    if model_config.get("class_name") == "Sequential":
        layers = config.get("layers", []) if isinstance(config, dict) else config
        return [TensorDescription(layers[-1]["config"]["name"], None, "float32")] if layers else []
    return [
        TensorDescription(str(item[0]), None, "float32") for item in config.get("output_layers", [])
    ]


def _tensor_info(key: str, info: dict[str, Any]) -> TensorDescription:
    dims = info.get("tensorShape", {}).get("dim")
    shape = (
        None
        if dims is None
        else tuple(None if int(d.get("size", -1)) < 0 else int(d["size"]) for d in dims)
    )
    dtype = str(info.get("dtype", "?")).removeprefix("DT_").lower()
    return TensorDescription(key, shape, dtype)


def _count_layers(model_config: dict[str, Any], counter: Counter[str]) -> None:
    config = model_config.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    for layer in layers:
        counter[layer.get("class_name", "?")] += 1
        if isinstance(layer.get("config"), dict) and "layers" in layer["config"]:
            _count_layers(layer, counter)


def summarize_artifact(directory: Path) -> ArtifactSummary:
    """Summarize the artifact in ``directory`` and list any inconsistency between manifest and shards."""
    directory = Path(directory)
    document = read_model_json(directory)
    fmt = artifact_format(document)
    topology = document.get("modelTopology") or {}
    summary = ArtifactSummary(
        directory, fmt, document.get("convertedBy"), document.get("generatedBy"), [], []
    )
    if fmt == GRAPH_FORMAT:
        signature = document.get("signature") or {}
        summary.inputs = [_tensor_info(k, v) for k, v in (signature.get("inputs") or {}).items()]
        summary.outputs = [_tensor_info(k, v) for k, v in (signature.get("outputs") or {}).items()]
        summary.ops.update(node.get("op", "?") for node in topology.get("node", []))
    else:
        model_config = topology.get("model_config", topology)
        summary.inputs = _layer_config_inputs(model_config)
        summary.outputs = _layers_outputs(model_config)
        _count_layers(model_config, summary.layers)
    expected = 0
    for group in document.get("weightsManifest") or []:
        for entry in group.get("weights", []):
            summary.weights += 1
            size = math.prod(entry.get("shape", []))
            summary.parameters += size
            quantization = (entry.get("quantization") or {}).get("dtype")
            summary.quantization[quantization or "none"] += 1
            stored = quantization or entry.get("dtype")
            expected = (
                -1
                if expected < 0 or stored == "string"
                else expected + size * STORED_ITEM_BYTES.get(stored, 0)
            )
        for relative in group.get("paths", []):
            summary.shards.append(relative)
            shard = directory / relative
            if ".." in Path(relative).parts or Path(relative).is_absolute():
                summary.problems.append(f"shard path {relative!r} leaves the artifact directory")
            elif not shard.is_file():
                summary.problems.append(f"shard {relative} is missing")
            else:
                summary.shard_bytes += shard.stat().st_size
    if expected >= 0 and not summary.problems and expected != summary.shard_bytes:
        summary.problems.append(
            f"the manifest describes {expected} bytes of weights but the shards hold {summary.shard_bytes}"
        )
    return summary
