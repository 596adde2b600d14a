"""Where parity fails: the first layer or node whose output diverges, whether the error is its
own, and the causes that can be named.

The findings are a :class:`Divergence`, made by :mod:`tfjs_build.parity.localize_layers` (layers
models) or :mod:`tfjs_build.parity.localize_graph` (graph models) and shown on the failure line,
in ``parity.json`` and on the report page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tfjs_build.parity.compare import compare_output
from tfjs_build.parity.record import (
    CauseKind,
    CauseRecord,
    DivergenceRecord,
    StepRecord,
    divergence_words,
    json_float,
)
from tfjs_build.parity.tolerances import Tolerance

FLOAT16_MAX = 65504.0
"""The largest finite float16."""
WEIGHT_RTOL = 1e-6
"""How far a float32 weight may stray from the source's (relative to its largest value)."""
FLOAT16_MIN_NORMAL = 2.0**-14
"""The smallest normal float16: GPUs flush smaller values to zero."""


@dataclass(frozen=True)
class Cause:
    """One reason a layer or node computes wrongly on its own (see
    :data:`~tfjs_build.parity.record.CauseKind`); ``weight`` is the artifact's weight name."""

    kind: CauseKind
    detail: str
    weight: str | None = None

    def to_record(self) -> CauseRecord:
        """The JSON form."""
        return {"kind": self.kind, "weight": self.weight, "detail": self.detail}


@dataclass(frozen=True)
class Errors:
    """How far one intermediate tensor is from the reference's, and whether within tolerance."""

    max_abs_error: float
    max_rel_error: float
    passed: bool


def measure(reference: np.ndarray, candidate: np.ndarray, tolerance: Tolerance) -> Errors:
    """:func:`~tfjs_build.parity.compare.compare_output`'s verdict and worst errors, without its
    other statistics: every layer's output of a large model is compared, so this is lean."""
    reference, candidate = np.asarray(reference), np.asarray(candidate)
    if reference.shape != candidate.shape or reference.dtype.kind not in "f":
        found = compare_output("", reference, candidate, tolerance)
        return Errors(found.max_abs_error, found.max_rel_error, found.passed)
    ref = reference.astype(np.float32, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(candidate.astype(np.float32, copy=False) - ref)
        settled = np.isnan(ref) & np.isnan(candidate) | np.isinf(ref) & (ref == candidate)
        diff = np.where(settled, 0.0, np.where(np.isnan(diff), np.inf, diff))
        magnitude = np.where(np.isfinite(ref), np.abs(ref), 0.0)
        scale = float(magnitude.max(initial=0.0))
        allowed = tolerance.atol + tolerance.rtol * magnitude + tolerance.scale_tol * scale
        nonzero = magnitude > 0
        rel = diff[nonzero] / magnitude[nonzero]
    return Errors(
        float(diff.max(initial=0.0)),
        float(rel.max(initial=0.0)),
        not bool((diff > allowed).any()),
    )


@dataclass(frozen=True)
class Step:
    """The errors of one layer's (or node's) output on one backend."""

    name: str
    op: str
    max_abs_error: float
    max_rel_error: float
    passed: bool

    @classmethod
    def of(cls, name: str, op: str, comparisons: Iterable[Errors]) -> Step:
        """The step of ``name`` from the errors of its outputs (the worst counts)."""
        found = list(comparisons)
        return cls(
            name,
            op,
            max((c.max_abs_error for c in found), default=0.0),
            max((c.max_rel_error for c in found), default=0.0),
            all(c.passed for c in found),
        )

    def to_record(self) -> StepRecord:
        """The JSON form."""
        return {
            "name": self.name,
            "op": self.op,
            "max_abs_error": json_float(self.max_abs_error),
            "max_rel_error": json_float(self.max_rel_error),
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Divergence:
    """Where one backend's outputs first go wrong.

    ``first`` is the first layer or node in topological order whose output exceeds the
    tolerance while its inputs are within it (``None`` when none does; ``note`` then says why it
    could not be told, if it could not); ``inputs_max_abs_error`` is its inputs' worst error
    (``None`` when they were not compared);
    ``own_error`` says whether it is wrong on the reference's own inputs too (``None``: not
    run), ``own_max_abs_error`` by how much; ``causes`` what can be named; ``steps`` every layer
    or node compared, in order.
    """

    backend: str
    kind: Literal["layer", "node"]
    steps: tuple[Step, ...] = ()
    first: Step | None = None
    inputs_max_abs_error: float | None = None
    own_error: bool | None = None
    own_max_abs_error: float | None = None
    causes: tuple[Cause, ...] = field(default=())
    note: str | None = None

    @property
    def quantized_weights(self) -> tuple[str, ...]:
        """The weights whose quantization alone breaks parity here (to keep in float32)."""
        return tuple(c.weight for c in self.causes if c.kind == "quantization" and c.weight)

    @property
    def differing_weights(self) -> tuple[str, ...]:
        """The weights whose values differ from the source's beyond their quantization."""
        return tuple(c.weight for c in self.causes if c.kind == "weight_differs" and c.weight)

    def describe(self) -> str:
        """The clause for the failure line."""
        return divergence_words(self.to_record())

    def to_record(self) -> DivergenceRecord:
        """The JSON form (``parity.json``'s ``divergence`` of a backend)."""
        first = self.first
        return {
            "kind": self.kind,
            "name": None if first is None else first.name,
            "op": None if first is None else first.op,
            "max_abs_error": None if first is None else json_float(first.max_abs_error),
            "max_rel_error": None if first is None else json_float(first.max_rel_error),
            "inputs_max_abs_error": _optional(self.inputs_max_abs_error),
            "own_error": self.own_error,
            "own_max_abs_error": _optional(self.own_max_abs_error),
            "causes": [cause.to_record() for cause in self.causes],
            "steps": [step.to_record() for step in self.steps],
            "note": self.note,
        }


def value_causes(
    backend: str,
    reference: Iterable[np.ndarray],
    candidate: Iterable[np.ndarray],
) -> list[Cause]:
    """Causes visible in the values alone: float16's range on ``webgl-f16`` (``reference`` holds
    the layer's inputs and outputs in TensorFlow, ``candidate`` its outputs in TF.js on those
    inputs), NaN or infinity where the reference is finite."""
    ref = [np.asarray(v, dtype=np.float64) for v in reference if np.asarray(v).dtype.kind == "f"]
    cand = [np.asarray(v, dtype=np.float64) for v in candidate if np.asarray(v).dtype.kind == "f"]
    appeared = any(not np.isfinite(v).all() for v in cand) and all(
        np.isfinite(v).all() for v in ref
    )
    if backend == "webgl-f16":
        peak = max((float(np.abs(v[np.isfinite(v)]).max(initial=0.0)) for v in ref), default=0.0)
        if peak > FLOAT16_MAX:
            return [
                Cause(
                    "float16_overflow",
                    f"float16 overflow: its values reach {_num(peak)}, beyond float16's largest "
                    f"{FLOAT16_MAX:g}",
                )
            ]
        if appeared:
            return [
                Cause(
                    "float16_overflow",
                    "float16 overflow inside the layer: TF.js returns infinity or NaN where the "
                    f"reference is finite (float16 holds |x| <= {FLOAT16_MAX:g})",
                )
            ]
        tiny = [v for v in ref if ((v != 0) & (np.abs(v) < FLOAT16_MIN_NORMAL)).any()]
        if tiny and all(v.size and np.mean(np.abs(v) < FLOAT16_MIN_NORMAL) > 0.5 for v in tiny):
            return [
                Cause(
                    "float16_underflow",
                    f"float16 underflow: most of its values are below {FLOAT16_MIN_NORMAL:.3g}, "
                    "which float16 textures flush to zero",
                )
            ]
    if appeared:
        return [Cause("non_finite", "NaN or infinity appears where the reference is finite")]
    return []


def _optional(value: float | None) -> float | str | None:
    return None if value is None else json_float(value)


def _num(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.2g}"
