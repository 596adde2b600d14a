"""Comparison numbers on constructed arrays."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity.compare import argmax_agreement, compare_output
from tfjs_build.parity.tolerances import (
    Tolerance,
    artifact_quantization,
    default_tolerance,
    resolve_tolerance,
)

TIGHT = Tolerance(atol=1e-3, rtol=1e-2)


def test_errors_worst_element_and_pass() -> None:
    ref = np.array([[1.0, -2.0, 0.0], [10.0, 0.5, 3.0]], np.float32)
    cand = ref + np.array([[0.0, 0.001, 0.0005], [0.05, 0.0, 0.0]], np.float32)
    result = compare_output("y", ref, cand, TIGHT)
    assert result.max_abs_error == pytest.approx(0.05, rel=1e-5)
    assert result.max_rel_error == pytest.approx(0.005, rel=1e-4)  # 0.05 / 10
    # allowed at [1, 0] is 0.001 + 0.01 * 10 = 0.101, so the worst *ratio* is [0, 2]: 0.0005 / 0.001
    assert result.worst_index == (0, 2)
    assert result.worst_reference == 0.0 and result.worst_candidate == pytest.approx(0.0005)
    assert result.passed and result.mismatches == 0 and result.dtype == "float32"


def test_an_element_beyond_tolerance_fails_and_is_described() -> None:
    ref = np.zeros((2, 4), np.float32)
    cand = ref.copy()
    cand[1, 2] = 0.25
    result = compare_output("logits", ref, cand, TIGHT)
    assert not result.passed and result.mismatches == 1
    assert result.worst_index == (1, 2)
    line = result.describe(TIGHT)
    assert line.startswith("logits: max abs error 0.25")
    assert "worst at [1, 2] (reference 0, TF.js 0.25)" in line
    assert line.endswith("FAILED: 1 of 8 element(s) beyond atol 0.001 + rtol 0.01*|reference|")


def test_the_scale_term_follows_the_largest_reference() -> None:
    ref = np.array([20.0, 0.0, -1.0])
    cand = ref + np.array([0.0, 0.15, 0.15])
    scaled = Tolerance(atol=0.0, rtol=0.0, scale_tol=0.01)  # allows 0.01 * 20 = 0.2 everywhere
    assert compare_output("logits", ref, cand, scaled).passed
    assert not compare_output("logits", ref / 10, cand / 10 + [0, 0.1, 0], scaled).passed
    tight = Tolerance(atol=0.0, rtol=0.0, scale_tol=0.001)
    line = compare_output("y", ref, cand, tight).describe(tight)
    assert line.endswith(
        "FAILED: 2 of 3 element(s) beyond atol 0 + rtol 0*|reference| + scale_tol 0.001*max|reference|"
    )


def test_nan_and_inf_must_match() -> None:
    ref = np.array([np.nan, np.inf, 1.0])
    assert compare_output("y", ref, ref.copy(), TIGHT).passed
    one_sided = compare_output("y", ref, np.array([0.0, np.inf, 1.0]), TIGHT)
    assert not one_sided.passed and one_sided.max_abs_error == math.inf
    assert one_sided.worst_index == (0,)
    assert not compare_output("y", ref, np.array([np.nan, -np.inf, 1.0]), TIGHT).passed


def test_shape_mismatch_fails() -> None:
    result = compare_output("y", np.zeros((2, 3)), np.zeros((2, 4)), TIGHT)
    assert not result.passed
    assert result.describe(TIGHT) == "y: shape (2, 4) in TF.js, (2, 3) in TensorFlow"


def test_integer_and_string_outputs_must_be_equal() -> None:
    ints = compare_output(
        "ids", np.array([1, 2, 3], np.int64), np.array([1, 2, 4], np.int32), TIGHT
    )
    assert not ints.passed and ints.max_abs_error == 1.0 and ints.worst_index == (2,)
    assert ints.dtype == "int64"
    assert (ints.worst_reference, ints.worst_candidate) == (3.0, 4.0)
    assert ints.describe(TIGHT).endswith("FAILED: 1 of 3 element(s) differ (must be equal)")
    words = compare_output("w", np.array([b"a", b"b"], object), np.array(["a", "c"], object), TIGHT)
    assert not words.passed and (words.worst_reference, words.worst_candidate) == ("b", "c")
    assert compare_output("w", np.array([b"a"], object), np.array(["a"], object), TIGHT).passed


def test_argmax_agreement_for_classifier_like_outputs() -> None:
    ref = np.array([[0.1, 0.9], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    cand = np.array([[0.2, 0.8], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    assert argmax_agreement(ref, cand) == 0.75
    assert argmax_agreement(ref[:, :1], cand[:, :1]) is None  # one class
    assert argmax_agreement(ref[0], cand[0]) is None  # rank 1
    loose = Tolerance(atol=1.0, rtol=0.0)
    assert compare_output("p", ref, cand, loose).passed
    strict_argmax = Tolerance(atol=1.0, rtol=0.0, min_argmax_agreement=0.9)
    result = compare_output("p", ref, cand, strict_argmax)
    assert not result.passed and result.mismatches == 0
    assert result.describe(strict_argmax).endswith("FAILED: argmax agreement 75% below 90%")


def test_default_tolerances_loosen_with_coarser_quantization() -> None:
    tolerances = [default_tolerance(q) for q in (None, "uint16", "float16", "uint8")]
    for finer, coarser in itertools.pairwise(tolerances):
        assert finer.atol <= coarser.atol and finer.rtol <= coarser.rtol
    assert tolerances[0].atol < tolerances[-1].atol
    assert default_tolerance("float32") == default_tolerance(None)
    with pytest.raises(TfjsBuildError, match="unknown quantization 'int4'"):
        default_tolerance("int4")
    with pytest.raises(TfjsBuildError, match="must not be negative"):
        Tolerance(atol=-1.0, rtol=0.0)


def test_overrides_keep_the_other_defaults() -> None:
    uint8 = default_tolerance("uint8")
    custom = resolve_tolerance("uint8", atol=0.5, min_argmax_agreement=0.9)
    assert (custom.atol, custom.rtol, custom.scale_tol) == (0.5, uint8.rtol, uint8.scale_tol)
    assert custom.min_argmax_agreement == 0.9
    assert resolve_tolerance(None) == default_tolerance(None)


def test_quantization_is_read_from_the_manifest() -> None:
    def manifest(*dtypes: str | None) -> dict:
        weights = [
            {"name": f"w{i}", "shape": [1], "dtype": "float32"}
            | ({"quantization": {"dtype": d}} if d else {})
            for i, d in enumerate(dtypes)
        ]
        return {"weightsManifest": [{"paths": [], "weights": weights}]}

    assert artifact_quantization(manifest(None, None)) is None
    assert artifact_quantization(manifest(None, "float16")) == "float16"
    assert artifact_quantization(manifest("float16", "uint8", None)) == "uint8"
    assert artifact_quantization(manifest("uint16", "float16")) == "float16"


def test_errors_are_counted_per_decade_for_the_plots() -> None:
    from tfjs_build.parity.compare import ERROR_BIN_UPPER

    ref = np.zeros(7, np.float32)
    cand = np.array([0, 5e-10, 2e-9, 0.3, 1.0, 50, np.nan], np.float32)
    result = compare_output("y", ref, cand, TIGHT)
    assert len(result.error_histogram) == len(ERROR_BIN_UPPER) == 13
    assert ERROR_BIN_UPPER[1] == pytest.approx(1e-9) and ERROR_BIN_UPPER[10] == 1.0
    assert result.error_histogram == (1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2)
    # 0 | 5e-10 | 2e-9 | ... | 0.3 and 1.0 (bounds are inclusive) | (1, 10] | 50 and NaN
    histogram = result.to_record()["error_histogram"]
    assert histogram["upper_bounds"][0] == 0.0 and histogram["upper_bounds"][-1] == "inf"
    assert histogram["counts"] == list(result.error_histogram)
    mismatched = compare_output("y", ref, np.zeros(3, np.float32), TIGHT)
    assert "error_histogram" not in mismatched.to_record()
