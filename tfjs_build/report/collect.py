"""What the report shows about each configured model, read from the project's files alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import MODEL_JSON, PARITY_JSON
from tfjs_build.artifact.summary import ArtifactSummary, summarize_artifact
from tfjs_build.backends import PARITY_BACKENDS
from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity.probe_file import PROBE_FILE
from tfjs_build.parity.tolerances import BACKEND_TOLERANCES, Tolerance, loosest
from tfjs_build.project.config import ModelSpec, ProjectConfig
from tfjs_build.project.session import BuildSession
from tfjs_build.runtime.protocol import Timings
from tfjs_build.tool_dir import rejected_build_path


@dataclass(frozen=True)
class ModelEntry:
    """One configured model as its artifact, parity record and probe file describe it.

    ``timings`` maps a backend to TF.js's timings on the stored probe, or to why there are none.
    """

    spec: ModelSpec
    artifact: Path
    summary: ArtifactSummary | None
    problem: str | None
    parity: dict[str, Any] | None
    stale: tuple[str, ...]
    timings: dict[str, Timings | str] = field(default_factory=dict)
    rejected_parity: dict[str, Any] | None = None
    """The parity record of the last build parity rejected (kept aside), if the last one was."""

    @property
    def probe(self) -> Path | None:
        """The probe file the live check replays, if the build wrote one."""
        path = self.artifact / PROBE_FILE
        return path if path.is_file() else None

    @property
    def checked_backends(self) -> list[str]:
        """The backends parity ran on (none when it was switched off or never ran)."""
        if not self.parity or self.parity.get("skipped"):
            return []
        return [str(b["backend"]) for b in self.parity.get("backends", [])]


def collect_models(config: ProjectConfig) -> list[ModelEntry]:
    """Every configured model, in configuration order."""
    with BuildSession(config) as session:
        status = {f.name: f.reasons for f in session.status().models}
    return [_entry(spec, config, status.get(spec.name, ())) for spec in config.models]


def _entry(spec: ModelSpec, config: ProjectConfig, stale: tuple[str, ...]) -> ModelEntry:
    artifact = config.root / spec.output
    rejected = _parity_record(rejected_build_path(config.root, spec.name))
    if not (artifact / MODEL_JSON).is_file():
        problem = "not built yet (run tfjs-build convert)"
        if rejected is not None:
            problem = "no build has passed parity yet"
        return ModelEntry(spec, artifact, None, problem, None, stale, rejected_parity=rejected)
    try:
        summary = summarize_artifact(artifact)
    except TfjsBuildError as exc:
        return ModelEntry(spec, artifact, None, str(exc), None, stale, rejected_parity=rejected)
    problems = "; ".join(summary.problems) or None
    parity = _parity_record(artifact)
    return ModelEntry(spec, artifact, summary, problems, parity, stale, rejected_parity=rejected)


def _parity_record(artifact: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((artifact / PARITY_JSON).read_text()))
    except (OSError, ValueError):
        return None


def live_tolerances(parity: Mapping[str, Any] | None) -> dict[str, Tolerance]:
    """The tolerance the live check applies per backend: the build's where it checked that
    backend, else the build's own loosened to what the backend needs."""
    if not parity or parity.get("skipped") or "tolerance" not in parity:
        return {}
    base = _tolerance(parity["tolerance"])
    found: dict[str, Tolerance] = {
        b: loosest(base, BACKEND_TOLERANCES[b]) if b in BACKEND_TOLERANCES else base
        for b in PARITY_BACKENDS
    }
    for backend in parity.get("backends", []):
        found[backend["backend"]] = _tolerance(backend.get("tolerance", parity["tolerance"]))
    return found


def _tolerance(record: Mapping[str, Any]) -> Tolerance:
    return Tolerance(
        atol=float(record["atol"]), rtol=float(record["rtol"]), scale_tol=float(record["scale_tol"])
    )
