"""The parity record: the JSON saved with a build (lockfile, CI), deterministic for its inputs.

Keys are fixed, lists keep the model's output order, floats are plain numbers (non-finite ones are
the strings ``"nan"``, ``"inf"``, ``"-inf"``) and nothing depends on the clock, so the same
artifact, source and probes give the same bytes from :func:`dumps_record`.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Literal, TypedDict, cast, final

from tfjs_build.runtime.protocol import RuntimeRecord

if TYPE_CHECKING:
    from tfjs_build.artifact.quantization_record import QuantizationPlanRecord


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


CauseKind = Literal[
    "weight_differs",
    "quantization",
    "float16_overflow",
    "float16_underflow",
    "non_finite",
    "kernel",
]
"""Why a layer or node computes wrongly on its own: a weight differing from the source's, a
weight's quantization, float16's range on ``webgl-f16``, NaN or infinity appearing, or (none of
those) TF.js's kernel computing differently from TensorFlow's."""


class CauseRecord(TypedDict):
    """One named cause; ``weight`` is the artifact's name of the weight it is about, if any."""

    kind: CauseKind
    weight: str | None
    detail: str


class StepRecord(TypedDict):
    """The errors of one layer's (or node's) output, in topological order."""

    name: str
    op: str
    max_abs_error: float | str
    max_rel_error: float | str
    passed: bool


class DivergenceRecord(TypedDict):
    """Where one backend's outputs first go wrong. ``name`` is the first layer (``kind``
    ``layer``, ``outer/inner`` inside a nested model) or node whose output exceeds the tolerance
    while its inputs are within it (``None`` when none does, or it could not be told: then
    ``note`` says why); ``own_error`` whether it is wrong on the reference's own inputs (``None``
    when that could not be run); ``steps`` every layer or node compared."""

    kind: Literal["layer", "node"]
    name: str | None
    op: str | None
    max_abs_error: float | str | None
    max_rel_error: float | str | None
    inputs_max_abs_error: float | str | None
    own_error: bool | None
    own_max_abs_error: float | str | None
    causes: list[CauseRecord]
    steps: list[StepRecord]
    note: str | None


def divergence_words(record: DivergenceRecord) -> str:
    """The finding of ``record`` as the clause of a failure line (the one wording everywhere)."""
    name, kind = record["name"], record["kind"]
    if name is None:
        if record["note"]:
            return f"cannot tell where it diverges: {record['note']}"
        return f"every {kind}'s output is within the tolerance"
    inputs = (
        "its inputs are not compared (TF.js computes them under other names)"
        if record["inputs_max_abs_error"] is None
        else f"its inputs match to {_short(record['inputs_max_abs_error'])}"
    )
    clause = (
        f"first diverges at {kind} {name!r} ({record['op']}): max abs error "
        f"{_short(record['max_abs_error'])} while {inputs}"
    )
    if record["own_error"] is None:
        return clause
    if not record["own_error"]:
        return (
            f"{clause}; on the reference's inputs it matches to "
            f"{_short(record['own_max_abs_error'])}, so it amplifies earlier small errors"
        )
    reasons = "; ".join(cause["detail"] for cause in record["causes"]) or "unknown"
    return f"{clause}; its own error: {reasons}"


def _short(value: float | str | None) -> str:
    return f"{value:.2g}" if isinstance(value, float) else str(value)


class _BackendRecordRequired(TypedDict):
    backend: str
    passed: bool
    outputs: list[OutputRecord]


class BackendRecord(_BackendRecordRequired, total=False):
    """Every output of one TF.js backend; ``error`` when TF.js could not run the artifact;
    ``tolerance`` when the backend's differs from the record's; ``runtime`` for a browser;
    ``divergence`` when it failed (or explaining was asked for)."""

    error: str
    tolerance: ToleranceRecord
    runtime: RuntimeRecord
    divergence: DivergenceRecord


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


class _ParityRecordRequired(TypedDict):
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
class ParityRecord(_ParityRecordRequired, total=False):
    """A parity check that ran."""

    quantization_plan: QuantizationPlanRecord
    """What ``quantization = "auto"`` chose, when it was asked for."""


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
