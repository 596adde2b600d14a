"""Build events and results as the lines people read: one place for every front door's wording.

Result lines go to ``out`` (stdout), progress and warnings to ``err`` (stderr). Streams left as
``None`` are looked up when a line is written, so a reporter made once still writes where doit
or pytest has redirected ``sys.stdout`` since.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from tfjs_build.display import human_bytes
from tfjs_build.parity.record import ParitySummary
from tfjs_build.project.events import (
    BuildEvent,
    Explained,
    Finished,
    ModelResult,
    Pushed,
    RemoteWarned,
    Started,
    Warned,
)
from tfjs_build.project.plan import PlannedBuild


def parity_words(summary: ParitySummary | None) -> str:
    """``parity max abs error 1.2e-07 on cpu+wasm`` or ``parity SKIPPED (reason)``."""
    if summary is None:
        return "parity SKIPPED (no parity record)"
    if "skipped" in summary:
        return f"parity SKIPPED ({summary['reason']})"
    return f"parity max abs error {summary['max_abs_error']:.2g} on {'+'.join(summary['backends'])}"


def size_words(artifact_format: str | None, total_bytes: int, shards: int) -> str:
    """``layers, 12.3 kB, 1 shard``."""
    plural = "s" if shards != 1 else ""
    return f"{artifact_format}, {human_bytes(total_bytes)}, {shards} shard{plural}"


def result_line(result: ModelResult) -> str:
    """The one line that says what building a model did."""
    name = result.name
    if result.outcome == "up to date":
        return f"{name}: up to date"
    if result.outcome == "failed":
        return f"{name}: FAILED: {result.error}"
    size = size_words(result.format, result.total_bytes, result.shards)
    chosen = f"; {result.quantization}" if result.quantization else ""
    if result.outcome == "restored":
        key = (result.cache_key or "")[:12]
        cache = "remote cache" if result.from_remote else "cache"
        restored = f"{name}: restored from {cache} ({size}, {parity_words(result.parity)} when built, key {key})"
        return restored + chosen
    cached = ", added to the cache" if result.added_to_cache else ""
    return (
        f"{name}: converted ({size}, {parity_words(result.parity)}, {result.seconds:.1f}s{cached})"
        + chosen
    )


def conversion_line(
    output: Path,
    artifact_format: str,
    reason: str,
    total_bytes: int,
    shards: int,
    parity: ParitySummary,
    seconds: float,
    quantization: str | None = None,
) -> str:
    """The line for one SOURCE converted to OUTPUT_DIR on the command line (``quantization``:
    what ``quantization = "auto"`` chose, in brief)."""
    size = size_words(artifact_format, total_bytes, shards)
    chosen = f"; {quantization}" if quantization else ""
    return f"converted {output} ({size}, {parity_words(parity)}, {seconds:.1f}s): {reason}{chosen}"


def planned_line(plan: PlannedBuild) -> str:
    """The line that says what a dry run would do for one configured model, and why."""
    reasons = "; ".join(plan.reasons)
    where = f"{plan.source.as_posix()} -> {plan.output.as_posix()}"
    note = f" {plan.note}" if plan.note else ""
    if plan.action == "up to date":
        return f"{plan.name}: up to date ({plan.output.as_posix()})"
    if plan.action == "fail":
        return f"{plan.name}: would fail: {reasons}"
    key = (plan.cache_key or "")[:12]
    verb = "restore" if plan.action == "restore" else "convert"
    return f"{plan.name}: would {verb} {where}{note} (key {key}): {reasons}"


def planned_conversion_line(
    source: Path, output: Path, artifact_format: str, reason: str, settings: str
) -> str:
    """The line that says what converting one SOURCE on the command line would do."""
    replaces = "replacing the artifact there" if (output / "model.json").exists() else "a new one"
    return (
        f"would convert {source} -> {output} ({replaces}) as a {artifact_format} model: {reason}; "
        f"{settings}"
    )


class TextReporter:
    """Prints build events: progress to ``err``, one result line per model to ``out``."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out
        self._err = err

    def _write(self, stream: TextIO | None, fallback: str, line: str) -> None:
        target = stream or getattr(sys, fallback)
        print(line, file=target, flush=True)

    def report(self, event: BuildEvent) -> None:
        """Print the line(s) for ``event``."""
        if isinstance(event, Started):
            if event.action == "convert":
                reasons = "; ".join(event.reasons)
                line = f"{event.name}: converting {event.source} ({reasons}) ..."
                self._write(self._err, "stderr", line)
        elif isinstance(event, Finished):
            result = event.result
            if result.outcome == "restored":
                line = f"{result.name}: stale ({'; '.join(result.reasons)})"
                self._write(self._err, "stderr", line)
            self._write(self._out, "stdout", result_line(result))
        elif isinstance(event, Explained):
            self._write(self._err, "stderr", f"{event.name}: [{event.backend}] {event.words}")
        elif isinstance(event, Warned):
            self._write(self._err, "stderr", f"{event.name}: warning: {event.message}")
        elif isinstance(event, RemoteWarned):
            self._write(self._err, "stderr", f"tfjs-build: warning: {event.message}")
        elif isinstance(event, Pushed):
            entries = f"{event.entries} entr{'ies' if event.entries != 1 else 'y'}"
            self._write(self._err, "stderr", f"tfjs-build: pushed {entries} to {event.url}")
