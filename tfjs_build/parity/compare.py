"""Comparison of a candidate output (TF.js) with its reference (TensorFlow/Keras).

An element passes when ``|candidate - reference| <= atol + rtol * |reference| + scale_tol * S``
(numpy's ``allclose`` rule plus a term for the output's scale ``S``, its largest finite
``|reference|``); NaN must meet NaN and infinities must match exactly. Integer, bool and string
outputs must be equal. Reported per output: max absolute error, max relative error (over elements
whose reference is not zero), the worst element (largest ``|diff| / allowed``) with
its index and both values, for classifier-like outputs (floating, rank >= 2, last dim > 1) the
fraction of rows whose argmax agrees, and how the absolute errors spread over decades
(:data:`ERROR_BIN_UPPER`), for plots.

Default tolerances were chosen from measurements; see :mod:`tfjs_build.parity.tolerances`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tfjs_build.parity.record import ErrorHistogram, OutputRecord, json_float
from tfjs_build.parity.tolerances import Tolerance

ERROR_BIN_UPPER: tuple[float, ...] = (0.0, *(10.0**e for e in range(-9, 2)), math.inf)
"""Upper bounds of the error histogram's bins: exactly 0, then (0, 1e-9], (1e-9, 1e-8], ...,
(1, 10], (10, inf]; an element whose error is NaN (NaN on one side only) counts as infinite."""


@dataclass(frozen=True)
class OutputComparison:
    """The comparison of one output on one backend."""

    name: str
    shape: tuple[int, ...]
    candidate_shape: tuple[int, ...]
    dtype: str
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    worst_reference: float | str | None
    worst_candidate: float | str | None
    mismatches: int
    argmax_agreement: float | None
    passed: bool
    exact: bool = False
    """Integer, bool or string output: compared for equality, not within a tolerance."""
    error_histogram: tuple[int, ...] = ()
    """Elements per bin of :data:`ERROR_BIN_UPPER` (empty when the shapes differ)."""

    def to_record(self) -> OutputRecord:
        """The JSON form of this comparison."""
        record = OutputRecord(
            name=self.name,
            shape=list(self.shape),
            dtype=self.dtype,
            max_abs_error=json_float(self.max_abs_error),
            max_rel_error=json_float(self.max_rel_error),
            worst_index=None if self.worst_index is None else list(self.worst_index),
            worst_reference=_json_value(self.worst_reference),
            worst_candidate=_json_value(self.worst_candidate),
            mismatches=self.mismatches,
            argmax_agreement=(
                None if self.argmax_agreement is None else json_float(self.argmax_agreement)
            ),
            passed=self.passed,
        )
        if self.error_histogram:
            record["error_histogram"] = ErrorHistogram(
                upper_bounds=[json_float(bound) for bound in ERROR_BIN_UPPER],
                counts=list(self.error_histogram),
            )
        return record

    def describe(self, tolerance: Tolerance) -> str:
        """One line: the output, its errors and, when it failed, why."""
        if self.shape != self.candidate_shape:
            return f"{self.name}: shape {self.candidate_shape} in TF.js, {self.shape} in TensorFlow"
        line = (
            f"{self.name}: max abs error {_fmt(self.max_abs_error)}, "
            f"max rel error {_fmt(self.max_rel_error)}"
        )
        if self.worst_index is not None and (self.max_abs_error > 0 or self.mismatches):
            line += (
                f", worst at {list(self.worst_index or ())} "
                f"(reference {_fmt(self.worst_reference)}, TF.js {_fmt(self.worst_candidate)})"
            )
        if self.argmax_agreement is not None:
            line += f", argmax agreement {self.argmax_agreement:.0%}"
        if self.passed:
            return line + " - ok"
        reasons = []
        if self.mismatches:
            rule = "differ (must be equal)" if self.exact else f"beyond {tolerance.describe()}"
            reasons.append(f"{self.mismatches} of {math.prod(self.shape)} element(s) {rule}")
        minimum, agreement = tolerance.min_argmax_agreement, self.argmax_agreement
        if minimum is not None and agreement is not None and agreement < minimum:
            reasons.append(f"argmax agreement {agreement:.0%} below {minimum:.0%}")
        return f"{line} - FAILED: {'; '.join(reasons)}"


def compare_output(
    name: str, reference: np.ndarray, candidate: np.ndarray, tolerance: Tolerance
) -> OutputComparison:
    """Compare one output; shapes must match exactly, dtypes are compared by kind."""
    reference, candidate = np.asarray(reference), np.asarray(candidate)
    if reference.shape != candidate.shape:
        return OutputComparison(
            name,
            reference.shape,
            candidate.shape,
            str(reference.dtype),
            math.inf,
            math.inf,
            None,
            None,
            None,
            max(reference.size, candidate.size),
            None,
            False,
        )
    if reference.dtype.kind in "fc" or candidate.dtype.kind in "fc":
        return _compare_floats(name, reference, candidate, tolerance)
    return _compare_exact(name, reference, candidate)


def _compare_floats(
    name: str, reference: np.ndarray, candidate: np.ndarray, tolerance: Tolerance
) -> OutputComparison:
    ref = reference.astype(np.float64)
    cand = candidate.astype(np.float64)
    both_nan = np.isnan(ref) & np.isnan(cand)
    same_inf = np.isinf(ref) & (ref == cand)
    settled = both_nan | same_inf
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(settled, 0.0, np.abs(cand - ref))
        diff = np.where(np.isnan(diff), np.inf, diff)  # NaN on one side only
        magnitude = np.where(np.isfinite(ref), np.abs(ref), 0.0)
        scale = float(magnitude.max()) if magnitude.size else 0.0
        allowed = tolerance.atol + tolerance.rtol * magnitude + tolerance.scale_tol * scale
        bad = diff > allowed
        nonzero = (ref != 0) & np.isfinite(ref)
        rel = np.where(nonzero, diff / np.where(nonzero, np.abs(ref), 1.0), 0.0)
        ratio = diff / np.maximum(allowed, np.finfo(np.float64).tiny)
    agreement = argmax_agreement(reference, candidate)
    minimum = tolerance.min_argmax_agreement
    argmax_ok = minimum is None or agreement is None or agreement >= minimum
    return _summary(
        name,
        str(reference.dtype),
        (ref, cand),
        diff,
        ratio,
        bad,
        float(rel.max()) if rel.size else 0.0,
        agreement,
        argmax_ok=argmax_ok,
        exact=False,
    )


def _compare_exact(name: str, reference: np.ndarray, candidate: np.ndarray) -> OutputComparison:
    if reference.dtype.kind in "SUO" or candidate.dtype.kind in "SUO":
        ref_v, cand_v = _as_text(reference), _as_text(candidate)
        unequal = ref_v != cand_v
        diff = unequal.astype(np.float64)
    else:
        ref_v, cand_v = reference.astype(np.int64), candidate.astype(np.int64)
        unequal = ref_v != cand_v
        diff = np.abs(ref_v - cand_v).astype(np.float64)
    max_rel = math.inf if unequal.any() else 0.0
    return _summary(
        name,
        str(reference.dtype),
        (ref_v, cand_v),
        diff,
        diff,
        unequal,
        max_rel,
        None,
        True,
        exact=True,
    )


def _summary(
    name: str,
    dtype: str,
    values: tuple[np.ndarray, np.ndarray],
    diff: np.ndarray,
    ranking: np.ndarray,
    bad: np.ndarray,
    max_rel: float,
    agreement: float | None,
    argmax_ok: bool,
    *,
    exact: bool,
) -> OutputComparison:
    """The comparison of equal-shaped outputs; the worst element is where ``ranking`` peaks."""
    ref, cand = values
    worst = np.unravel_index(int(np.argmax(ranking)), ranking.shape) if ranking.size else None
    mismatches = int(np.count_nonzero(bad))
    return OutputComparison(
        name=name,
        shape=ref.shape,
        candidate_shape=cand.shape,
        dtype=dtype,
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        max_rel_error=max_rel,
        worst_index=None if worst is None else tuple(int(i) for i in worst),
        worst_reference=None if worst is None else _scalar(ref[worst]),
        worst_candidate=None if worst is None else _scalar(cand[worst]),
        mismatches=mismatches,
        argmax_agreement=agreement,
        passed=mismatches == 0 and argmax_ok,
        exact=exact,
        error_histogram=error_histogram(diff),
    )


def error_histogram(diff: np.ndarray) -> tuple[int, ...]:
    """How many of the absolute errors ``diff`` fall in each bin of :data:`ERROR_BIN_UPPER`."""
    finite = np.where(np.isnan(diff), np.inf, diff).ravel()
    bins = np.searchsorted(np.asarray(ERROR_BIN_UPPER), finite, side="left")
    return tuple(int(n) for n in np.bincount(bins, minlength=len(ERROR_BIN_UPPER)))


def argmax_agreement(reference: np.ndarray, candidate: np.ndarray) -> float | None:
    """Fraction of rows with the same argmax over the last axis; ``None`` unless classifier-like."""
    if reference.ndim < 2 or reference.shape[-1] < 2 or reference.dtype.kind not in "f":
        return None
    if reference.shape != candidate.shape or reference.size == 0:
        return None
    same = np.argmax(reference, axis=-1) == np.argmax(candidate, axis=-1)
    return float(np.mean(same))


def compare_outputs(
    reference: Mapping[str, np.ndarray],
    candidate: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> list[OutputComparison]:
    """Compare every reference output with the candidate output of the same name, in order."""
    return [compare_output(name, reference[name], candidate[name], tolerance) for name in reference]


def _as_text(array: np.ndarray) -> np.ndarray:
    def text(value: object) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    return np.vectorize(text, otypes=[object])(array) if array.size else array.astype(object)


def _scalar(value: object) -> float | str:
    if isinstance(value, (str, bytes)):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return float(value)  # type: ignore[arg-type]


def _json_value(value: float | str | None) -> float | str | None:
    return json_float(value) if isinstance(value, float) else value


def _fmt(value: float | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value)
