"""The parity verifier the pipeline runs on a staged artifact before publishing it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfjs_build.config import ParitySettings
from tfjs_build.convert import ConvertOptions
from tfjs_build.pipeline import Verifier

PARITY_RECORD = "parity.json"
"""The full parity record, written into the artifact directory beside ``model.json``."""


def parity_verifier(settings: ParitySettings, options: ConvertOptions) -> Verifier:
    """A verifier that checks the staged artifact against its source in TF.js and records it."""

    def verify(staged: Path, source: Path) -> dict[str, Any]:
        from tfjs_build.parity import check_parity

        report = check_parity(
            staged,
            source,
            backends=settings.backends,
            seed=settings.seed,
            samples=settings.samples,
            tolerance=explicit_tolerance(
                options.quantization, settings.atol, settings.rtol, settings.scale_tol
            ),
            quantization=options.quantization,
            signature=options.signature,
            allow_unsafe_deserialization=options.allow_unsafe_deserialization,
        )
        record = dict(report.record)
        write_parity_record(staged, record)
        report.raise_for_failure()
        return record

    return verify


def explicit_tolerance(
    quantization: str | None, atol: float | None, rtol: float | None, scale_tol: float | None
) -> Any:
    """The default tolerance for ``quantization`` with the fields the user gave overridden,
    or ``None`` (pick the default from the artifact) when none was given."""
    if atol is None and rtol is None and scale_tol is None:
        return None
    from tfjs_build.parity.tolerances import resolve_tolerance

    return resolve_tolerance(quantization, atol=atol, rtol=rtol, scale_tol=scale_tol)


def skipped_verifier(reason: str) -> Verifier:
    """A verifier that checks nothing and records, loudly, why."""

    def verify(staged: Path, source: Path) -> dict[str, Any]:
        from tfjs_build.parity import skipped_record

        record = dict(skipped_record(reason))
        write_parity_record(staged, record)
        return record

    return verify


def write_parity_record(directory: Path, record: dict[str, Any]) -> None:
    """Save ``record`` as ``parity.json`` in the artifact directory (deterministic JSON)."""
    (Path(directory) / PARITY_RECORD).write_text(
        json.dumps(record, indent=2, sort_keys=True) + "\n"
    )


def parity_summary(record: dict[str, Any] | None) -> dict[str, Any]:
    """A compact form of a parity record for the lockfile and one-line reports."""
    if not record:
        return {"skipped": True, "reason": "no parity record"}
    if record.get("skipped"):
        return {"skipped": True, "reason": record.get("reason", "")}
    worst: float = 0.0
    for backend in record.get("backends", []):
        for output in backend.get("outputs", []):
            error = output.get("max_abs_error")
            if isinstance(error, (int, float)):
                worst = max(worst, float(error))
    return {
        "passed": bool(record.get("passed")),
        "backends": [b.get("backend") for b in record.get("backends", [])],
        "inputs": record.get("inputs"),
        "max_abs_error": worst,
    }
