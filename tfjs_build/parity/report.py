"""The outcome of a parity check: the record to save, a summary to print, a failure to raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfjs_build.errors import ParityError
from tfjs_build.options import Origin, spell
from tfjs_build.parity.compare import OutputComparison
from tfjs_build.parity.divergence import Divergence
from tfjs_build.parity.record import ParityRecord, SkippedRecord, skipped_record
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.runtime.protocol import RuntimeRecord

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class BackendResult:
    """One backend's comparisons (within ``tolerance``), or the error that kept TF.js from
    running the artifact; ``environment`` says where a browser backend ran."""

    backend: str
    comparisons: tuple[OutputComparison, ...] = ()
    error: str | None = None
    tolerance: Tolerance | None = None
    environment: RuntimeRecord = field(default_factory=dict)  # type: ignore[assignment]
    divergence: Divergence | None = None
    """Where its outputs first go wrong (when it failed, or explaining was asked for)."""

    @property
    def passed(self) -> bool:
        """No error and every output within tolerance."""
        return self.error is None and all(c.passed for c in self.comparisons)


@dataclass(frozen=True)
class Probe:
    """The inputs a check ran and the source's outputs for them, by name."""

    inputs: dict[str, np.ndarray]
    reference: dict[str, np.ndarray]


@dataclass(frozen=True)
class ParityReport:
    """What :func:`tfjs_build.parity.check_parity` found.

    ``record`` is the JSON-ready :class:`~tfjs_build.parity.record.ParityRecord` (or a
    :class:`~tfjs_build.parity.record.SkippedRecord`); ``seconds`` holds wall-clock timings
    (``reference`` and one per backend), kept out of the record so the record stays deterministic.
    ``tolerance`` is the first backend's (each result holds its own); ``probe`` the inputs and
    reference outputs. A skipped check counts as passed, and says so in its summary.
    """

    record: ParityRecord | SkippedRecord
    results: tuple[BackendResult, ...] = ()
    tolerance: Tolerance | None = None
    artifact: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    origin: Origin = "python"
    """Where the parity options were set, for hints in that syntax."""
    probe: Probe | None = None

    @property
    def skipped(self) -> bool:
        """Whether parity was switched off."""
        return bool(self.record["skipped"])

    @property
    def passed(self) -> bool:
        """Whether every output passed on every backend (or the check was switched off)."""
        return self.skipped or all(result.passed for result in self.results)

    def summary(self) -> str:
        """One line per output and backend (one line in all when skipped)."""
        if self.record["skipped"]:
            return f"parity SKIPPED for {self.artifact or 'this artifact'}: {self.record['reason']}"
        assert self.tolerance is not None
        note = self.string_probes_note()
        lines = [note] if note else []
        for result in self.results:
            if result.error is not None:
                lines.append(f"[{result.backend}] TF.js could not run the artifact: {result.error}")
            for comparison in result.comparisons:
                tolerance = result.tolerance or self.tolerance
                lines.append(f"[{result.backend}] {comparison.describe(tolerance)}")
            if result.divergence is not None:
                lines.append(f"[{result.backend}] {result.divergence.describe()}")
        return "\n".join(lines)

    def failure_message(self) -> str | None:
        """One line naming the first failing backend, output and error; ``None`` if it passed."""
        if self.passed:
            return None
        assert self.tolerance is not None
        where = f"{self.artifact}: " if self.artifact else ""
        failures = [
            (result, comparison)
            for result in self.results
            for comparison in result.comparisons
            if not comparison.passed
        ]
        errors = [result for result in self.results if result.error is not None]
        if failures:
            failed, first = failures[0]
            more = f" (and {len(failures) - 1} more failing output(s))" if len(failures) > 1 else ""
            note = self.string_probes_note()
            divergence = f"; {failed.divergence.describe()}" if failed.divergence else ""
            return (
                f"{where}parity failed on TF.js {failed.backend} for output "
                f"{first.describe(failed.tolerance or self.tolerance)}{more}"
                f"{f' ({note})' if note else ''}{divergence}"
            )
        result = errors[0]
        return f"{where}parity failed: TF.js {result.backend} could not run it: {result.error}"

    def string_probes_note(self) -> str | None:
        """Which words string inputs were probed with, and what to do for real text."""
        if self.record["skipped"]:
            return None
        words = self.record["inputs"].get("string_probes")
        if not words:
            return None
        samples = spell("parity_samples", "words.npy", self.origin)
        return (
            f"string inputs were probed with {words}; for real text pass samples "
            f"({samples}: a .npy or .npz of str or bytes)"
        )

    def raise_for_failure(self) -> None:
        """Raise :class:`ParityError` with :meth:`failure_message` when the check failed."""
        message = self.failure_message()
        if message is not None:
            raise ParityError(message, report=self)


def skipped_report(reason: str, artifact: str = "") -> ParityReport:
    """The report of a build whose parity check was switched off, loudly, for ``reason``."""
    return ParityReport(record=skipped_record(reason), artifact=artifact)
