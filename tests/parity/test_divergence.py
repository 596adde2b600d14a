"""The divergence record and its wording, the lean per-layer comparison and the causes seen in
values alone (no TF.js: the localizers are tested on real models in test_divergence_*.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tfjs_build.parity.compare import compare_output
from tfjs_build.parity.divergence import Cause, Divergence, Step, measure, value_causes
from tfjs_build.parity.tolerances import Tolerance

TOLERANCE = Tolerance(atol=1e-5, rtol=1e-4, scale_tol=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_measure_agrees_with_the_full_comparison(seed: int) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=(3, 50)).astype("float32") * 10.0 ** rng.integers(-3, 3)
    candidate = reference + rng.normal(size=reference.shape).astype("float32") * 1e-3
    reference[0, :3] = [0.0, np.nan, np.inf]
    candidate[0, :3] = [1e-7, np.nan, np.inf]
    candidate[1, 4] = np.nan if seed % 2 else candidate[1, 4]
    full = compare_output("x", reference, candidate, TOLERANCE)
    lean = measure(reference, candidate, TOLERANCE)
    assert lean.passed == full.passed
    assert lean.max_abs_error == pytest.approx(full.max_abs_error, rel=1e-5)
    assert lean.max_rel_error == pytest.approx(full.max_rel_error, rel=1e-4)


def test_integers_and_other_shapes_are_compared_exactly() -> None:
    assert measure(np.arange(4), np.arange(4), TOLERANCE).passed
    assert not measure(np.arange(4), np.arange(1, 5), TOLERANCE).passed
    assert not measure(np.zeros((2, 2)), np.zeros((4,)), TOLERANCE).passed


def test_float16_overflow_underflow_and_nan_are_told_apart() -> None:
    big = np.array([1.0, 7e4], "float32")
    assert [c.kind for c in value_causes("webgl-f16", [big], [big])] == ["float16_overflow"]
    assert value_causes("webgl", [big], [big]) == []  # float32 textures hold it
    inf = np.array([1.0, np.inf], "float32")
    small = np.array([1.0, 2.0], "float32")
    assert [c.kind for c in value_causes("webgl-f16", [small], [inf])] == ["float16_overflow"]
    assert [c.kind for c in value_causes("cpu", [small], [inf])] == ["non_finite"]
    tiny = np.full(8, 1e-6, "float32")
    assert [c.kind for c in value_causes("webgl-f16", [tiny], [tiny * 0])] == ["float16_underflow"]


def _divergence(own: bool | None) -> Divergence:
    return Divergence(
        "cpu",
        "layer",
        (Step("conv2d", "Conv2D", 2e-7, 1e-6, True), Step("conv2d_1", "Conv2D", 3.2, 0.9, False)),
        first=Step("conv2d_1", "Conv2D", 3.2, 0.9, False),
        inputs_max_abs_error=2e-7,
        own_error=own,
        own_max_abs_error=3.1 if own else 1e-6,
        causes=(Cause("weight_differs", "the kernel differs from the source's", "conv2d_1/kernel"),)
        if own
        else (),
    )


def test_the_clause_says_where_whether_it_is_its_own_error_and_why() -> None:
    assert _divergence(True).describe() == (
        "first diverges at layer 'conv2d_1' (Conv2D): max abs error 3.2 while its inputs match "
        "to 2e-07; its own error: the kernel differs from the source's"
    )
    assert (
        _divergence(False)
        .describe()
        .endswith(
            "; on the reference's inputs it matches to 1e-06, so it amplifies earlier small errors"
        )
    )
    assert _divergence(None).describe().endswith("while its inputs match to 2e-07")
    assert Divergence("cpu", "node").describe() == "every node's output is within the tolerance"
    assert (
        Divergence("cpu", "node", note="x failed").describe()
        == "cannot tell where it diverges: x failed"
    )


def test_the_record_is_typed_json_and_names_the_weights() -> None:
    divergence = _divergence(True)
    record = divergence.to_record()
    assert (record["name"], record["op"], record["own_error"]) == ("conv2d_1", "Conv2D", True)
    assert record["causes"] == [
        {
            "kind": "weight_differs",
            "weight": "conv2d_1/kernel",
            "detail": "the kernel differs from the source's",
        }
    ]
    assert [s["passed"] for s in record["steps"]] == [True, False]
    assert divergence.differing_weights == ("conv2d_1/kernel",)
    assert divergence.quantized_weights == ()
    import json

    assert json.loads(json.dumps(record, allow_nan=False)) == record
