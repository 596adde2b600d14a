"""The diff as JSON, for scripts: every field of every model diff, typed."""

from __future__ import annotations

import json
from typing import TypedDict

from tfjs_build.artifact.topology import TensorDescription, tensors_json
from tfjs_build.diff.changes import DiffReport, FailKind, ModelDiff, Parity, SignatureChange
from tfjs_build.diff.snapshot import ArtifactFacts


class ArtifactJson(TypedDict):
    """One side's artifact."""

    format: str
    inputs: list[dict[str, object]]
    outputs: list[dict[str, object]]
    blocks: list[str]
    quantization: str
    size: int
    shards: int


class ParityJson(TypedDict):
    """One side's parity."""

    checked: bool
    passed: bool
    backends: list[str]
    max_abs_error: float | None
    skipped_reason: str | None


class SignatureChangeJson(TypedDict):
    """One change of the inputs or outputs."""

    side: str
    kind: str
    name: str
    before: object
    after: object


class ModelDiffJson(TypedDict):
    """One model."""

    name: str
    status: str
    before: ArtifactJson | None
    after: ArtifactJson | None
    parity_before: ParityJson | None
    parity_after: ParityJson | None
    signature: list[SignatureChangeJson]
    blocks_added: list[str]
    blocks_removed: list[str]
    causes: list[str]
    source_changed: bool
    flags: list[FailKind]


class DiffJson(TypedDict):
    """The whole report."""

    base: str
    head: str
    models: list[ModelDiffJson]


def render(report: DiffReport) -> str:
    """The report as indented JSON."""
    document: DiffJson = {
        "base": report.base,
        "head": report.head,
        "models": [_model(m) for m in report.models],
    }
    return json.dumps(document, indent=2) + "\n"


def _model(model: ModelDiff) -> ModelDiffJson:
    return {
        "name": model.name,
        "status": model.status,
        "before": _artifact(model.before),
        "after": _artifact(model.after),
        "parity_before": _parity(model.parity[0]),
        "parity_after": _parity(model.parity[1]),
        "signature": [_signature(c) for c in model.signature],
        "blocks_added": list(model.blocks_added),
        "blocks_removed": list(model.blocks_removed),
        "causes": list(model.causes),
        "source_changed": model.status == "changed" and not model.only_options,
        "flags": sorted(model.flags),
    }


def _tensors(items: tuple[TensorDescription, ...]) -> list[dict[str, object]]:
    return list(tensors_json(list(items)))


def _artifact(facts: ArtifactFacts | None) -> ArtifactJson | None:
    if facts is None:
        return None
    return {
        "format": facts.format,
        "inputs": _tensors(facts.inputs),
        "outputs": _tensors(facts.outputs),
        "blocks": sorted(facts.blocks),
        "quantization": facts.quantization,
        "size": facts.size,
        "shards": facts.shards,
    }


def _parity(parity: Parity | None) -> ParityJson | None:
    if parity is None:
        return None
    return {
        "checked": parity.checked,
        "passed": parity.passed,
        "backends": list(parity.backends),
        "max_abs_error": parity.max_abs_error,
        "skipped_reason": parity.skipped_reason,
    }


def _signature(change: SignatureChange) -> SignatureChangeJson:
    def plain(value: object) -> object:
        return list(value) if isinstance(value, tuple) else value

    return {
        "side": change.side,
        "kind": change.kind,
        "name": change.name,
        "before": plain(change.before),
        "after": plain(change.after),
    }
