"""The verifiers the pipeline runs on a staged artifact before publishing it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.artifact.format import PARITY_JSON
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.parity.record import ParityRecord, SkippedRecord, dumps_record, skipped_record
from tfjs_build.pipeline import Verifier

if TYPE_CHECKING:
    from tfjs_build.parity.tolerances import Tolerance

PARITY_RECORD = PARITY_JSON
"""The full parity record, written into the artifact directory beside ``model.json``."""


def parity_verifier(settings: ParityOptions, options: ConvertOptions) -> Verifier:
    """A verifier that checks the staged artifact against its source in TF.js and records it."""

    def verify(staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        from tfjs_build.parity.check import check_parity

        report = check_parity(
            staged,
            source,
            backends=checked_backends(settings, options),
            seed=settings.parity_seed,
            samples=settings.parity_samples,
            tolerance=explicit_tolerance(options.quantization, settings, source),
            quantization=options.quantization,
            signature=options.signature,
            allow_unsafe_deserialization=options.allow_unsafe_deserialization,
            imports=options.imports,
            project_root=options.project_root,
            label=str(output),
            origin=settings.origin,
        )
        write_parity_record(staged, report.record)
        report.raise_for_failure()
        return report.record

    return verify


def checked_backends(settings: ParityOptions, options: ConvertOptions) -> tuple[str, ...]:
    """The parity backends the artifact targets: a model converted for ``target_backends = ["cpu"]``
    (an RFFT wasm lacks) is checked on cpu alone. When no parity backend is a target (webgl only),
    all of them are checked: their numbers still speak for the artifact."""
    targeted = tuple(b for b in settings.parity_backends if b in options.target_backends)
    return targeted or settings.parity_backends


def explicit_tolerance(
    quantization: str | None, settings: ParityOptions, source: Path
) -> Tolerance | None:
    """The default tolerance for ``quantization`` and ``source``'s arithmetic with the fields the
    user gave overridden, or ``None`` (pick the default from the artifact) when none was given."""
    atol, rtol, scale_tol = settings.parity_atol, settings.parity_rtol, settings.parity_scale_tol
    if atol is None and rtol is None and scale_tol is None:
        return None
    from tfjs_build.parity.precision import source_compute_dtype
    from tfjs_build.parity.tolerances import resolve_tolerance

    return resolve_tolerance(
        quantization,
        source_compute_dtype(source),
        atol=atol,
        rtol=rtol,
        scale_tol=scale_tol,
    )


def skipped_verifier(reason: str) -> Verifier:
    """A verifier that checks nothing and records, loudly, why."""

    def verify(staged: Path, source: Path, output: Path) -> ParityRecord | SkippedRecord:
        record = skipped_record(reason)
        write_parity_record(staged, record)
        return record

    return verify


def write_parity_record(directory: Path, record: ParityRecord | SkippedRecord) -> None:
    """Save ``record`` as ``parity.json`` in the artifact directory (deterministic JSON)."""
    (Path(directory) / PARITY_RECORD).write_text(dumps_record(record))
