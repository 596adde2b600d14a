"""Bitcast between float32 and int32 lowered to arithmetic for cpu and wasm targets: every bit
as TensorFlow's, for normal, subnormal, signed-zero, infinite and NaN values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.graph.checks import write
from tests.graph.graph_defs import GraphDefBuilder, lowered_artifact, run_in_tensorflow
from tests.graph.models import Case
from tfjs_build.graph.graph_edit import DType
from tfjs_build.runtime.tfjs import run_in_tfjs

DT_FLOAT, DT_INT32 = 1, 3
FLOATS = np.array(
    [
        1.0,
        -1.0,
        0.0,
        -0.0,
        1.5,
        -2.0,
        3.0e38,
        -1.17549435e-38,
        1.0e-45,
        -3.0e-40,
        0.1,
        np.nextafter(np.float32(1.0), np.float32(0.0)),
        2.0**-126,
        2.0**127,
        65504.0,
        np.inf,
        -np.inf,
        np.nan,
        8388608.0,
        0.3333333,
    ],
    dtype=np.float32,
)


def _bitcast_graph(source: int, target: int, values: np.ndarray) -> tuple[object, dict, list]:
    b = GraphDefBuilder()
    x = b.placeholder("x", str(values.dtype))
    b.node("bits", "Bitcast", [x], T=DType(source), type=DType(target))
    return b.graph_def, {"x": values}, ["bits"]


def _run(source: int, target: int, values: np.ndarray, backend: str, tmp: Path) -> tuple:
    graph_def, feeds, fetches = _bitcast_graph(source, target, values)
    expected = run_in_tensorflow(graph_def, feeds, fetches)["bits"]
    artifact, counts = lowered_artifact(graph_def, feeds, fetches, backends=("cpu", "wasm"))
    assert counts == {"Bitcast": 1}
    got = run_in_tfjs(write(artifact, tmp), feeds, backend=backend)["bits"]
    return expected, got


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_float_bits_match_tensorflow(backend: str, tmp_path: Path) -> None:
    expected, got = _run(DT_FLOAT, DT_INT32, FLOATS, backend, tmp_path / "m")
    np.testing.assert_array_equal(got.astype(np.int32), expected)


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_bits_to_floats_match_tensorflow(backend: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    patterns = np.concatenate([FLOATS.view(np.int32), rng.integers(-(2**31), 2**31, 200)])
    expected, got = _run(DT_INT32, DT_FLOAT, patterns.astype(np.int32), backend, tmp_path / "m")
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.int32), expected[~nan].view(np.int32))


def test_webgl_targets_keep_bitcast_for_the_op_check() -> None:
    from tfjs_build.graph.lowerings import lower_unsupported

    graph_def, _, _ = _bitcast_graph(DT_FLOAT, DT_INT32, FLOATS)
    assert lower_unsupported(graph_def, ["cpu", "webgl"]) == {}
    assert lower_unsupported(graph_def, ["cpu", "wasm"]) == {"Bitcast": 1}


def test_a_sign_test_through_bitcast_converts_for_cpu_and_wasm(
    bitcast_case: Case, tmp_path: Path
) -> None:
    from tfjs_build.graph.convert import convert_saved_model

    artifact = convert_saved_model(bitcast_case.path, backends=("cpu", "wasm"))
    for backend in ("cpu", "wasm"):
        got = run_in_tfjs(write(artifact, tmp_path / backend), bitcast_case.inputs, backend=backend)
        assert got["negative"].tolist() == bitcast_case.expected["negative"].tolist()
