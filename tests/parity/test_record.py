"""The parity record: strict, canonical JSON; skipping needs a reason and says so."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tfjs_build.parity.compare import compare_output
from tfjs_build.parity.record import dumps_record, skipped_record
from tfjs_build.parity.report import skipped_report
from tfjs_build.parity.tolerances import Tolerance


def test_output_record_is_strict_json_even_for_non_finite_errors() -> None:
    comparison = compare_output(
        "y", np.array([np.nan, 1.0]), np.array([0.0, 1.0]), Tolerance(1e-4, 1e-3)
    )
    record = comparison.to_record()
    assert record["max_abs_error"] == "inf" and record["worst_reference"] == "nan"
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["worst_index"] == [0]


def test_dumps_is_canonical() -> None:
    record = skipped_record("vendor model, checked by hand")
    assert dumps_record(record) == dumps_record(dict(reversed(list(record.items()))))  # type: ignore[arg-type]
    assert json.loads(dumps_record(record)) == {
        "skipped": True,
        "reason": "vendor model, checked by hand",
    }


def test_skipping_is_loud_and_needs_a_reason() -> None:
    report = skipped_report("custom op not in TF", artifact="web/model")
    assert report.skipped and report.passed and report.failure_message() is None
    assert report.summary() == "parity SKIPPED for web/model: custom op not in TF"
    with pytest.raises(ValueError, match="needs a reason"):
        skipped_record("  ")
