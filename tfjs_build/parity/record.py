"""The parity record: the JSON saved with a build (lockfile, CI), deterministic for its inputs.

Keys are fixed, lists keep the model's output order, floats are plain numbers (non-finite ones are
the strings ``"nan"``, ``"inf"``, ``"-inf"``) and nothing depends on the clock, so the same
artifact, source and probes give the same bytes from :func:`dumps_record`.
"""

from __future__ import annotations

import json
import math
from typing import Literal, TypedDict, cast, final

from tfjs_build.runtime.protocol import RuntimeRecord


class ErrorHistogram(TypedDict):
    """How many elements' absolute errors fall at or below each bound (and above the previous)."""

    upper_bounds: list[float | str]
    counts: list[int]


class _OutputRecordRequired(TypedDict):
    name: str
    shape: list[int]
    dtype: str
    max_abs_error: float | str
    max_rel_error: float | str
    worst_index: list[int] | None
    worst_reference: float | str | None
    worst_candidate: float | str | None
    mismatches: int
    argmax_agreement: float | str | None
    passed: bool


class OutputRecord(_OutputRecordRequired, total=False):
    """Errors of one output on one backend; ``error_histogram`` unless the shapes differ."""

    error_histogram: ErrorHistogram


class ToleranceRecord(TypedDict):
    """The tolerance applied, and the quantization and source arithmetic it was chosen for
    (``source_compute``: ``float16`` or ``bfloat16`` for a mixed precision source)."""

    atol: float
    rtol: float
    scale_tol: float
    min_argmax_agreement: float | None
    quantization: str | None
    source_compute: str | None


class _BackendRecordRequired(TypedDict):
    backend: str
    passed: bool
    outputs: list[OutputRecord]


class BackendRecord(_BackendRecordRequired, total=False):
    """Every output of one TF.js backend; ``error`` when TF.js could not run the artifact;
    ``tolerance`` when the backend's differs from the record's; ``runtime`` for a browser."""

    error: str
    tolerance: ToleranceRecord
    runtime: RuntimeRecord


class _ProbeInputsRequired(TypedDict):
    kind: Literal["probes"]
    seed: int
    batch: int
    dim_default: int
    float_range: list[float]
    shapes: dict[str, list[int]]


class _ProbeInputs(_ProbeInputsRequired, total=False):
    string_probes: str
    """Which words string inputs were drawn from (models with string inputs only)."""


class _SampleInputs(TypedDict):
    kind: Literal["samples"]
    file: str
    sha256: str


InputsRecord = _ProbeInputs | _SampleInputs


@final
class ParityRecord(TypedDict):
    """A parity check that ran."""

    skipped: Literal[False]
    passed: bool
    format: str
    tfjs: str
    """The TF.js release parity ran in (``tfjs_version``)."""
    reference: str
    inputs: InputsRecord
    tolerance: ToleranceRecord
    backends: list[BackendRecord]


@final
class SkippedRecord(TypedDict):
    """A parity check switched off, on purpose and visibly."""

    skipped: Literal[True]
    reason: str


def skipped_record(reason: str) -> SkippedRecord:
    """The record of a build whose parity check was switched off for ``reason``."""
    if not reason.strip():
        raise ValueError("switching parity off needs a reason")
    return SkippedRecord(skipped=True, reason=reason)


def json_float(value: float) -> float | str:
    """``value`` as JSON: finite floats as they are, non-finite ones as strings."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)


def dumps_record(record: ParityRecord | SkippedRecord) -> str:
    """The record as canonical JSON text (sorted keys, strict: no NaN or Infinity)."""
    return json.dumps(record, sort_keys=True, indent=2, allow_nan=False) + "\n"


@final
class CheckedSummary(TypedDict):
    """A parity check that ran, in brief: the lockfile's and the cache's ``parity``."""

    passed: bool
    backends: list[str]
    inputs: InputsRecord | None
    max_abs_error: float


@final
class SkippedSummary(TypedDict):
    """A parity check that did not run, and why."""

    skipped: Literal[True]
    reason: str


ParitySummary = CheckedSummary | SkippedSummary


def parity_summary(record: ParityRecord | SkippedRecord | None) -> ParitySummary:
    """The brief form of a parity record, for the lockfile, the cache and one-line reports."""
    if record is None:
        return {"skipped": True, "reason": "no parity record"}
    if record["skipped"]:
        return {"skipped": True, "reason": record["reason"]}
    worst = 0.0
    for backend in record["backends"]:
        for output in backend["outputs"]:
            error = output["max_abs_error"]
            if isinstance(error, (int, float)):
                worst = max(worst, float(error))
    return {
        "passed": bool(record["passed"]),
        "backends": [b["backend"] for b in record["backends"]],
        "inputs": record["inputs"],
        "max_abs_error": worst,
    }


def checked_summary(value: object) -> ParitySummary:
    """``value`` (read back from JSON) as a parity summary, once checked for the keys readers use;
    ``TypeError`` if it is not one."""
    if not isinstance(value, dict):
        raise TypeError("not a parity summary")
    skipped = value.get("skipped") is True and isinstance(value.get("reason"), str)
    checked = (
        isinstance(value.get("passed"), bool)
        and isinstance(value.get("backends"), list)
        and isinstance(value.get("max_abs_error"), (int, float))
    )
    if not (skipped or checked):
        raise TypeError("not a parity summary")
    return cast(ParitySummary, value)
