"""The report's per-layer error chart: a bar per layer on a log scale, readable without
JavaScript."""

from __future__ import annotations

import re

from tfjs_build.parity.record import DivergenceRecord, StepRecord
from tfjs_build.report.layer_chart import (
    FAIL_COLOR,
    FIRST_COLOR,
    PASS_COLOR,
    divergence_sentence,
    divergence_svg,
)


def _step(name: str, error: float | str, passed: bool) -> StepRecord:
    return {
        "name": name,
        "op": "Dense",
        "max_abs_error": error,
        "max_rel_error": 0.0,
        "passed": passed,
    }


def _record(**changes: object) -> DivergenceRecord:
    record: DivergenceRecord = {
        "kind": "layer",
        "name": "b",
        "op": "Dense",
        "max_abs_error": 3.0,
        "max_rel_error": 1.0,
        "inputs_max_abs_error": 1e-7,
        "own_error": True,
        "own_max_abs_error": 3.0,
        "causes": [
            {"kind": "kernel", "weight": None, "detail": "TF.js computes Dense differently"}
        ],
        "steps": [_step("a", 0.0, True), _step("b", 3.0, False), _step("c", "inf", False)],
        "note": None,
    }
    record.update(changes)  # type: ignore[typeddict-item]
    return record


def test_a_bar_per_layer_sized_by_its_error_and_coloured_by_its_verdict() -> None:
    svg = divergence_svg("cpu: error per layer", _record())
    bars = re.findall(r'height="([\d.]+)" fill="(#\w+)"><title>([^<]*)</title>', svg)
    assert [title.split(" ")[0] for _, _, title in bars] == ["a", "b", "c"]
    assert [color for _, color, _ in bars] == [PASS_COLOR, FIRST_COLOR, FAIL_COLOR]
    heights = [float(h) for h, _, _ in bars]
    assert heights[0] == 0.0 < heights[1] < heights[2]  # an exact 0 on the floor, inf on top
    assert "first diverges: b" in svg and "<script" not in svg
    assert "3 layers in topological order" in svg


def test_the_finding_in_words_as_on_the_failure_line() -> None:
    assert divergence_sentence(_record()) == (
        "First diverges at layer &#x27;b&#x27; (Dense): max abs error 3 while its inputs match "
        "to 1e-07; its own error: TF.js computes Dense differently."
    )
    inherited = divergence_sentence(_record(own_error=False, own_max_abs_error=1e-6))
    assert inherited.endswith(
        "on the reference&#x27;s inputs it matches to 1e-06, so it amplifies earlier small errors."
    )
    assert (
        divergence_sentence(_record(name=None))
        == "Every layer&#x27;s output is within the tolerance."
    )
    noted = divergence_sentence(_record(name=None, note="localizing failed (x)"))
    assert noted == "Cannot tell where it diverges: localizing failed (x)."
