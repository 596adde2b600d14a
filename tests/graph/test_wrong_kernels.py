"""The known-wrong-kernel table: each entry's wrong numbers shown in real TF.js, its lowering
matching TensorFlow on cpu and wasm, applied only for the backends and versions it names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.graph_defs import GraphDefBuilder, lowered_artifact, run_in_tensorflow
from tests.graph.models import Case as SavedCase
from tfjs_build.errors import RuntimeFailure, UnsupportedModelError
from tfjs_build.graph.graph_edit import DType
from tfjs_build.graph.lowerings import lower_unsupported
from tfjs_build.graph.op_check import load_op_table
from tfjs_build.graph.wrong_kernels import WRONG_KERNELS, wrong_kernel_problems

Case = tuple[Any, dict[str, np.ndarray], list[str]]
DT_INT32, DT_INT64, DT_BOOL = 3, 9, 10


def band_part_graph(
    lower: int = -1, upper: int = 0, shape: tuple[int, ...] = (2, 4, 5), index_type: int = DT_INT64
) -> Case:
    """``MatrixBandPart(x, lower, upper)`` on a float input."""
    b = GraphDefBuilder()
    x = b.placeholder("x")
    numpy_type = np.int64 if index_type == DT_INT64 else np.int32
    bounds = [b.const(n, np.array(v, numpy_type)) for n, v in (("lo", lower), ("up", upper))]
    b.node("band", "MatrixBandPart", [x, *bounds], Tindex=DType(index_type))
    values = np.random.default_rng(0).normal(size=shape).astype("float32")
    return b.graph_def, {"x": values}, ["band"]


def batched_gather_graph(
    params_shape: tuple[int, ...] = (3, 5, 2),
    indices: np.ndarray | None = None,
    axis: int = 1,
    params_type: str = "float32",
) -> Case:
    """``GatherV2(params, indices, axis, batch_dims=1)``."""
    b = GraphDefBuilder()
    params = b.placeholder("params", params_type)
    chosen = np.array([[4, 0], [1, 1], [3, 2]], np.int32) if indices is None else indices
    index_type = DT_INT64 if chosen.dtype == np.int64 else DT_INT32
    ids = b.placeholder("ids", str(chosen.dtype))
    b.const("axis", np.array(axis, np.int32))
    node = b.node("gathered", "GatherV2", [params, ids, "axis"], batch_dims=1)
    gather = b.graph_def.node[-1]
    del gather.attr["T"]
    gather.attr["Tparams"].type = 1 if params_type == "float32" else DT_INT32
    gather.attr["Tindices"].type = index_type
    gather.attr["Taxis"].type = DT_INT32
    size = int(np.prod(params_shape))
    values = np.arange(size).reshape(params_shape).astype(params_type)
    return b.graph_def, {"params": values, "ids": chosen}, [node]


def bool_reverse_graph(shape: tuple[int, ...] = (7, 2, 1), axis: int = 0) -> Case:
    """``ReverseV2`` of a boolean mask (``x > 0``), read as ``where(mask, x, 0)``."""
    b = GraphDefBuilder()
    x = b.placeholder("x")
    b.const("zero", np.array(0.0, np.float32))
    b.node("mask", "Greater", [x, "zero"])
    b.const("axes", np.array([axis], np.int32))
    b.node("reversed", "ReverseV2", ["mask", "axes"], T=DType(DT_BOOL), Tidx=DType(DT_INT32))
    b.node("zeros", "ZerosLike", [x])
    b.node("out", "SelectV2", ["reversed", x, "zeros"])
    values = np.random.default_rng(1).normal(size=shape).astype("float32")
    return b.graph_def, {"x": values}, ["out"]


def bitwise_and_graph(mask: int = 2**31 - 1, mask_first: bool = False) -> Case:
    """``BitwiseAnd`` of int32 values with a constant mask."""
    b = GraphDefBuilder()
    x = b.placeholder("x", "int32")
    b.const("mask", np.array(mask, np.int32))
    inputs = ["mask", x] if mask_first else [x, "mask"]
    b.node("masked", "BitwiseAnd", inputs, T=DType(DT_INT32))
    edges = [0, 1, -1, 255, -256, 2**31 - 1, -(2**31), 123456789, -987654321]
    spread = np.random.default_rng(2).integers(-(2**31), 2**31, 200)
    values = np.concatenate([edges, spread]).astype(np.int32)
    return b.graph_def, {"x": values}, ["masked"]


GRAPHS: dict[str, Callable[[], Case]] = {
    "MatrixBandPart": band_part_graph,
    "GatherV2": batched_gather_graph,
    "ReverseV2": bool_reverse_graph,
    "BitwiseAnd": bitwise_and_graph,
}
FAILURES = ("memory access out of bounds", "got 'null'")
"""How an entry's node fails where it fails rather than computing wrong: a wasm abort, or an
input the executor never finds."""
CHECKED_BACKENDS = ("cpu", "wasm", "webgl")
PROVEN = [
    (entry.op, backend)
    for entry in WRONG_KERNELS
    for backend in CHECKED_BACKENDS
    if entry.backends is None or backend in entry.backends
]
RIGHT = [
    (entry.op, backend)
    for entry in WRONG_KERNELS
    for backend in CHECKED_BACKENDS
    if entry.backends is not None and backend not in entry.backends
]


def _unlowered(case: Case, directory: Path) -> Path:
    """The graph as it is, with no lowering and no op check, as an artifact."""
    from tfjs_build.graph.export import build_artifact
    from tfjs_build.graph.freeze import TensorBinding
    from tfjs_build.graph.signature import name_outputs, tfjs_signature

    graph_def, feeds, fetches = case
    inputs = [TensorBinding(n, f"{n}:0", str(v.dtype), tuple(v.shape)) for n, v in feeds.items()]
    wanted = [TensorBinding(n, f"{n}:0", "float32", None) for n in fetches]
    outputs = name_outputs(graph_def, wanted, list(feeds))
    return write(
        build_artifact(graph_def, tfjs_signature(inputs, outputs), generated_by="test"), directory
    )


def _run_unlowered(op: str, backend: str, runtimes: Any, directory: Path) -> Any:
    """TensorFlow's output of the entry's graph and TF.js's on ``backend`` (or its failure)."""
    case = GRAPHS[op]()
    graph_def, feeds, fetches = case
    expected = run_in_tensorflow(graph_def, feeds, fetches)[fetches[0]]
    try:
        return expected, runtimes.get(backend).run(_unlowered(case, directory), feeds)[fetches[0]]
    except RuntimeFailure as failure:
        return expected, failure


@pytest.fixture(scope="module")
def proof_runtimes(chrome: str, node_packages: Path) -> Iterator[Any]:
    """Runtimes of the proofs' own, ended with this module: a wasm kernel that reads or writes
    outside its tensors can leave its worker's heap corrupt, and a later model on the suite's
    shared worker then aborted (seen in CI)."""
    from tfjs_build.runtime import RuntimePool

    with RuntimePool(chrome=chrome) as pool:
        yield pool


@pytest.mark.parametrize(("op", "backend"), PROVEN, ids=[f"{o}-{b}" for o, b in PROVEN])
def test_tfjs_computes_the_wrong_numbers(
    op: str, backend: str, proof_runtimes: Any, tmp_path: Path
) -> None:
    """The proof of each entry: TF.js, as pinned, computes the unlowered node wrong on each
    backend the entry names, or aborts."""
    expected, got = _run_unlowered(op, backend, proof_runtimes, tmp_path / "m")
    if isinstance(got, RuntimeFailure):
        assert any(sign in str(got) for sign in FAILURES)
        return
    assert got.shape == expected.shape
    assert not np.allclose(got, expected)


@pytest.mark.parametrize(("op", "backend"), RIGHT, ids=[f"{o}-{b}" for o, b in RIGHT])
def test_tfjs_computes_the_right_numbers_elsewhere(
    op: str, backend: str, proof_runtimes: Any, tmp_path: Path
) -> None:
    """Why an entry names the backends it does: the others compute the node right."""
    expected, got = _run_unlowered(op, backend, proof_runtimes, tmp_path / "m")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_the_table_is_for_the_pinned_tfjs() -> None:
    version = load_op_table().version
    assert all(version in entry.tfjs_versions for entry in WRONG_KERNELS)
    assert {entry.op for entry in WRONG_KERNELS} <= set(GRAPHS)


def _assert_lowered_once_and_right(case: Case, op: str, directory: Path) -> None:
    """``op``'s one node is lowered, and the artifact runs like TensorFlow on cpu and wasm."""
    graph_def, feeds, fetches = case
    artifact, counts = lowered_artifact(graph_def, feeds, fetches)
    assert counts == {op: 1}
    expected = run_in_tensorflow(graph_def, feeds, fetches)
    assert_runs_like_tensorflow(write(artifact, directory / "m"), feeds, expected)


BANDS = [(-1, 0), (0, -1), (1, 2), (0, 0), (-1, -1), (2, 0)]


@pytest.mark.parametrize(("lower", "upper"), BANDS)
def test_lowered_band_part_matches_tensorflow(lower: int, upper: int, tmp_path: Path) -> None:
    graph_def, feeds, fetches = band_part_graph(lower, upper)
    _assert_lowered_once_and_right((graph_def, feeds, fetches), "MatrixBandPart", tmp_path)


def test_lowered_band_part_of_int32_bounds_and_rank_2(tmp_path: Path) -> None:
    graph_def, feeds, fetches = band_part_graph(1, 0, (6, 3), DT_INT32)
    artifact, _ = lowered_artifact(graph_def, feeds, fetches)
    expected = run_in_tensorflow(graph_def, feeds, fetches)
    assert_runs_like_tensorflow(write(artifact, tmp_path / "m"), feeds, expected)


GATHERS: dict[str, tuple[tuple[int, ...], np.ndarray, str]] = {
    "rows": ((3, 5, 2), np.array([[4, 0], [1, 1], [3, 2]], np.int32), "float32"),
    "one-per-batch": ((3, 5, 2), np.array([4, 0, 2], np.int32), "float32"),
    "scalars": ((3, 5), np.array([[1], [4], [0]], np.int64), "float32"),
    "deep-indices": ((2, 4, 3), np.array([[[0, 3], [2, 2]], [[1, 0], [3, 3]]], np.int32), "int32"),
}


@pytest.mark.parametrize("name", list(GATHERS))
def test_lowered_batched_gather_matches_tensorflow(name: str, tmp_path: Path) -> None:
    shape, indices, dtype = GATHERS[name]
    graph_def, feeds, fetches = batched_gather_graph(shape, indices, params_type=dtype)
    _assert_lowered_once_and_right((graph_def, feeds, fetches), "GatherV2", tmp_path)


@pytest.mark.parametrize(("shape", "axis"), [((7, 2, 1), 0), ((3, 5), 1), ((2, 3, 4), 2)])
def test_lowered_bool_reverse_matches_tensorflow(
    shape: tuple[int, ...], axis: int, tmp_path: Path
) -> None:
    graph_def, feeds, fetches = bool_reverse_graph(shape, axis)
    _assert_lowered_once_and_right((graph_def, feeds, fetches), "ReverseV2", tmp_path)


MASKS = [
    (2**31 - 1, False),
    (-(2**31), False),
    (255, False),
    (1, True),
    (2**20 - 1, False),
    (2**30 - 1, True),
]


@pytest.mark.parametrize(("mask", "mask_first"), MASKS)
def test_lowered_masking_and_matches_tensorflow(
    mask: int, mask_first: bool, tmp_path: Path
) -> None:
    graph_def, feeds, fetches = bitwise_and_graph(mask, mask_first)
    _assert_lowered_once_and_right((graph_def, feeds, fetches), "BitwiseAnd", tmp_path)


def test_a_mask_the_lowering_declines_is_refused_naming_it() -> None:
    graph_def, feeds, fetches = bitwise_and_graph(0xF0)
    with pytest.raises(
        UnsupportedModelError, match=r"BitwiseAnd \(wrong in TF.js 4\.22\.0\) on cpu"
    ):
        lowered_artifact(graph_def, feeds, fetches)


def test_lowered_only_for_the_affected_backends_and_versions() -> None:
    graph_def, _, _ = batched_gather_graph()
    assert lower_unsupported(graph_def, ["cpu"]) == {}
    gather = next(node for node in graph_def.node if node.op == "GatherV2")
    assert wrong_kernel_problems(gather, ["cpu", "wasm"], "4.22.0") == [
        "GatherV2 with batch_dims (wrong in TF.js 4.22.0) on wasm"
    ]
    assert wrong_kernel_problems(gather, ["wasm"], "4.21.0") == []
    assert lower_unsupported(graph_def, ["wasm"]) == {"GatherV2": 1}


def test_a_batched_gather_the_lowering_declines_is_refused_for_wasm_naming_it() -> None:
    graph_def, feeds, fetches = batched_gather_graph((2, 3, 4), np.array([[1], [2]], np.int32), 2)
    with pytest.raises(
        UnsupportedModelError,
        match=r"GatherV2 with batch_dims \(wrong in TF.js 4\.22\.0\) on wasm \(node gathered",
    ):
        lowered_artifact(graph_def, feeds, fetches)


def test_a_text_tower_with_a_causal_mask_and_a_pooled_end_token_runs_like_tensorflow(
    text_tower_case: SavedCase, tmp_path: Path
) -> None:
    from tfjs_build.graph.convert import convert_saved_model

    artifact = convert_saved_model(text_tower_case.path)
    ops = {node["op"] for node in artifact.topology["node"]}
    assert "MatrixBandPart" not in ops
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "m"), text_tower_case.inputs, text_tower_case.expected
    )
