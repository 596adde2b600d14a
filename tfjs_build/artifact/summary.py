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
from tfjs_build.artifact.format import MODEL_JSON, PARITY_JSON, artifact_format
from tfjs_build.artifact.quantization_record import plan_summary, recorded_plan
from tfjs_build.artifact.topology import TensorDescription, describe_topology, tensors_json
from tfjs_build.errors import ArtifactError
from tfjs_build.malformed import malformed_json


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
    auto_plan: str | None = None
    """What ``quantization = "auto"`` chose, in one line (``parity.json``), if it did."""

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
            "autoPlan": self.auto_plan,
            **listing,
        }


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
        topology = describe_topology(document)
    summary.inputs, summary.outputs = topology.inputs, topology.outputs
    summary.layers, summary.ops = topology.layers, topology.ops
    _describe_weights(document, summary)
    record = _parity_record(directory)
    summary.proven_in = _proven_in(record)
    plan = recorded_plan(record)
    summary.auto_plan = plan_summary(plan) if plan is not None else None
    return summary


def _parity_record(directory: Path) -> object:
    """``parity.json``'s document, ``None`` without a readable one."""
    try:
        return json.loads((directory / PARITY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _proven_in(record: object) -> str | None:
    """``parity.json``'s ``tfjs``: None without one, or from a build before it was recorded."""
    release = record.get("tfjs") if isinstance(record, dict) else None
    return release if isinstance(release, str) else None


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
