"""Artifacts written by this project load and compute correctly in the real TF.js from npm."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from tests.runtime.handmade import (
    dense_layers_model,
    positive_as_float_graph_model,
    relu_graph_model,
    string_echo_graph_model,
    string_graph_model,
)
from tfjs_build.artifact import QuantizationPlan, read_artifact, write_artifact
from tfjs_build.errors import RuntimeFailure
from tfjs_build.runtime import RuntimePool, run_in_tfjs
from tfjs_build.runtime.node_worker import NodeWorker
from tfjs_build.runtime.tfjs import NodeRuntime, Recycling

RNG = np.random.default_rng(11)
KERNEL = RNG.standard_normal((5, 3)).astype(np.float32)
BIAS = RNG.standard_normal(3).astype(np.float32)
X = RNG.standard_normal((4, 5)).astype(np.float32)


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_handmade_layers_model_matches_numpy(tmp_path, node_packages, backend):
    write_artifact(dense_layers_model(KERNEL, BIAS, "tanh"), tmp_path / "m", shard_size=16)
    out = run_in_tfjs(tmp_path / "m", {"features": X}, backend=backend)
    assert list(out) == ["dense"]
    assert out["dense"].shape == (4, 3)
    assert np.abs(out["dense"] - np.tanh(X @ KERNEL + BIAS)).max() <= 1e-6


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_handmade_graph_model_matches_numpy(tmp_path, node_packages, backend):
    write_artifact(relu_graph_model(KERNEL, BIAS), tmp_path / "g", shard_size=7)
    out = run_in_tfjs(tmp_path / "g", {"x": X}, backend=backend)
    assert list(out) == ["scores"]
    assert np.abs(out["scores"] - np.maximum(X @ KERNEL + BIAS, 0)).max() <= 1e-6


@pytest.mark.parametrize("dtype", ["float16", "uint8", "uint16"])
def test_tfjs_dequantizes_exactly_what_the_reader_returns(tmp_path, node_packages, dtype):
    """Identity input: the outputs are the weights as TF.js decoded them, bit for bit."""
    kernel = RNG.uniform(-3, 2, (5, 5)).astype(np.float32)
    zero_bias = np.zeros(5, np.float32)
    write_artifact(
        dense_layers_model(kernel, zero_bias, "linear"),
        tmp_path / "q",
        quantization=QuantizationPlan(dtype),
    )
    decoded = run_in_tfjs(tmp_path / "q", {"features": np.eye(5, dtype=np.float32)})["dense"]
    ours = read_artifact(tmp_path / "q").weight_dict()["dense/kernel"]
    assert np.array_equal(decoded, ours)
    assert not np.array_equal(ours, kernel)


def test_string_weights_decode_in_tfjs(tmp_path, node_packages):
    words = np.array([["héllo", ""], ["wörld", "x" * 70]], dtype=object)
    write_artifact(string_graph_model(words), tmp_path / "s", shard_size=5)
    out = run_in_tfjs(tmp_path / "s", {"x": np.zeros(1, np.float32)})
    assert out["words"].tolist() == [[w.encode() for w in row] for row in words.tolist()]


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_an_output_cast_from_bool_is_read_in_the_dtype_it_reports(tmp_path, node_packages, backend):
    write_artifact(positive_as_float_graph_model(), tmp_path / "p")
    x = np.array([1.5, -2.0, 0.0, 3.0, -0.5], np.float32)
    out = run_in_tfjs(tmp_path / "p", {"x": x}, backend=backend)["positive"]
    assert out.dtype == np.float32
    assert out.tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_string_inputs_reach_tfjs_as_utf8_bytes(tmp_path, node_packages, backend):
    write_artifact(string_echo_graph_model(), tmp_path / "e")
    text = np.array([["héllo", ""], ["日本語", "x" * 300]])
    raw = np.array([b"\xff\x00bytes", b"plain"], dtype=object)
    for given in (text, raw):
        out = run_in_tfjs(tmp_path / "e", {"text": given}, backend=backend)["echo"]
        expected = [v if isinstance(v, bytes) else v.encode() for v in given.reshape(-1).tolist()]
        assert out.shape == given.shape
        assert out.reshape(-1).tolist() == expected


def test_a_string_input_holding_numbers_is_refused(tmp_path, node_packages):
    write_artifact(string_echo_graph_model(), tmp_path / "e")
    with pytest.raises(
        RuntimeFailure,
        match="input .text. holds a value of type int; string inputs hold str or bytes",
    ):
        run_in_tfjs(tmp_path / "e", {"text": np.array(["a", 3], dtype=object)})


def test_tfjs_errors_become_runtime_failures_naming_the_model(tmp_path, node_packages):
    write_artifact(dense_layers_model(KERNEL, BIAS), tmp_path / "m")
    with pytest.raises(RuntimeFailure, match=r"TF.js \(cpu\) failed on .*m: .*"):
        run_in_tfjs(tmp_path / "m", {"features": np.zeros((2, 7), np.float32)})
    with pytest.raises(RuntimeFailure, match="unknown TF.js backend 'metal'"):
        run_in_tfjs(tmp_path / "m", {"features": X}, backend="metal")


# ----------------------------------------------------------------- one worker per backend


FAULTS = Path(__file__).with_name("worker_faults.js")


@pytest.fixture(scope="module")
def dense_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("worker") / "dense"
    write_artifact(dense_layers_model(KERNEL, BIAS, "tanh"), directory)
    return directory


def _worker(runtime: NodeRuntime) -> NodeWorker:
    assert runtime.worker is not None
    return runtime.worker


def _assert_dense(out: dict[str, np.ndarray]) -> None:
    assert list(out) == ["dense"]
    assert np.abs(out["dense"] - np.tanh(X @ KERNEL + BIAS)).max() <= 1e-6


def _counting_node(tmp_path: Path) -> Path:
    """A ``node`` first on PATH that logs each start's arguments, then runs the real one."""
    real = shutil.which("node")
    log = tmp_path / "node-starts.log"
    wrapper = tmp_path / "counting-bin" / "node"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return log


def test_a_pool_checks_node_once_and_starts_one_worker_per_backend(
    tmp_path, node_packages, dense_dir, monkeypatch
):
    log = _counting_node(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'counting-bin'}{os.pathsep}{os.environ['PATH']}")
    with RuntimePool() as pool:
        pids = set()
        for _ in range(3):
            for backend in ("cpu", "wasm"):
                _assert_dense(pool.get(backend).run(dense_dir, {"features": X}))
                pids.add((backend, _worker(pool.get(backend)).pid))
        memory = [_worker(pool.get(b)).memory for b in ("cpu", "wasm")]
    starts = log.read_text().splitlines()
    assert starts[0] == "--version" and len(starts) == 3
    assert [line.split()[0].endswith("worker.js") for line in starts[1:]] == [True, True]
    assert [line.split()[2] for line in starts[1:]] == ["cpu", "wasm"]
    assert len(pids) == 2
    assert [m and m["tensors"] for m in memory] == [0, 0]  # every job's tensors were disposed


def test_workers_started_ahead_load_tfjs_while_the_caller_goes_on(node_packages, dense_dir):
    with RuntimePool() as pool:
        started = time.perf_counter()
        pool.start_node_workers(["cpu", "webgl", "wasm"])
        assert time.perf_counter() - started < 2.0  # nobody waited for TF.js to load
        workers = [_worker(pool.get(b)) for b in ("cpu", "wasm")]
        assert [w.started_memory for w in workers] == [None, None]
        assert pool.browser_starts == 0  # only Node backends start ahead
        for backend in ("cpu", "wasm"):
            _assert_dense(pool.get(backend).run(dense_dir, {"features": X}))
        assert [_worker(pool.get(b)) for b in ("cpu", "wasm")] == workers


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_timed_runs_report_load_first_and_warm_predictions(node_packages, dense_dir, backend):
    runtime = NodeRuntime(backend)
    try:
        timings = runtime.timed_run(dense_dir, {"features": X}, warm_runs=3).timings
        assert timings["load_ms"] > 0 and timings["predict_ms"] > 0
        assert timings["warm_predict_ms"] is not None and timings["warm_predict_ms"] > 0
        assert runtime.timed_run(dense_dir, {"features": X}).timings["warm_predict_ms"] is None
        assert runtime.starts == 1
    finally:
        runtime.close()
    assert runtime.worker is None


def test_a_failed_run_keeps_the_worker(node_packages, dense_dir):
    runtime = NodeRuntime("cpu")
    try:
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        pid = _worker(runtime).pid
        with pytest.raises(
            RuntimeFailure, match='model has no output "nope"; it has \\["dense"\\]$'
        ):
            runtime.run(dense_dir, {"features": X}, ["nope"])
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert (runtime.starts, _worker(runtime).pid) == (1, pid)
    finally:
        runtime.close()


def test_a_worker_killed_between_runs_is_replaced(node_packages, dense_dir):
    runtime = NodeRuntime("wasm")
    try:
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        os.kill(_worker(runtime).pid, signal.SIGKILL)
        _worker(runtime).process.wait(timeout=10)
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert runtime.starts == 2
    finally:
        runtime.close()


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_a_worker_dying_mid_run_is_replaced_and_the_run_retried_once(
    tmp_path, node_packages, dense_dir, monkeypatch, backend
):
    crashed = tmp_path / "crashed"
    monkeypatch.setenv("NODE_OPTIONS", f"--require {FAULTS}")
    monkeypatch.setenv("TFJS_BUILD_TEST_CRASH_DIR", str(dense_dir))
    monkeypatch.setenv("TFJS_BUILD_TEST_CRASH_ONCE", str(crashed))
    runtime = NodeRuntime(backend)
    try:
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert crashed.is_file() and runtime.starts == 2
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert runtime.starts == 2
    finally:
        runtime.close()


def test_a_run_that_kills_every_worker_fails_naming_the_model(
    tmp_path, node_packages, dense_dir, monkeypatch
):
    write_artifact(dense_layers_model(KERNEL, BIAS, "tanh"), tmp_path / "crash")
    monkeypatch.setenv("NODE_OPTIONS", f"--require {FAULTS}")
    monkeypatch.setenv("TFJS_BUILD_TEST_CRASH_DIR", str(tmp_path / "crash"))
    runtime = NodeRuntime("cpu")
    try:
        with pytest.raises(
            RuntimeFailure,
            match=r"^TF.js \(cpu\) failed on .*crash: the Node worker was killed: .* \(a fresh "
            r"worker died too\)$",
        ):
            runtime.run(tmp_path / "crash", {"features": X})
        assert runtime.starts == 2
        _assert_dense(runtime.run(dense_dir, {"features": X}))  # the next model gets a worker
        assert runtime.starts == 3
    finally:
        runtime.close()


def test_a_worker_is_recycled_after_max_jobs(node_packages, dense_dir):
    runtime = NodeRuntime("cpu", recycling=Recycling(max_jobs=2))
    try:
        for _ in range(5):
            _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert runtime.starts == 3
    finally:
        runtime.close()


def test_a_worker_whose_memory_grew_is_recycled(tmp_path, node_packages, dense_dir):
    """The wasm heap keeps what a big model needed; the next run gets a fresh worker."""
    kernel = RNG.standard_normal((4096, 2048)).astype(np.float32)  # 32 MiB of weights
    write_artifact(
        dense_layers_model(kernel, np.zeros(2048, np.float32), "linear"), tmp_path / "big"
    )
    runtime = NodeRuntime("wasm", recycling=Recycling(max_growth=16 << 20))
    try:
        for _ in range(3):
            _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert runtime.starts == 1 and runtime.worker is not None
        features = RNG.standard_normal((2, 4096)).astype(np.float32)
        out = runtime.run(tmp_path / "big", {"features": features})["dense"]
        assert np.abs(out - features @ kernel).max() <= 1e-3
        assert runtime.worker is None  # ended after the run that grew it
        _assert_dense(runtime.run(dense_dir, {"features": X}))
        assert runtime.starts == 2
    finally:
        runtime.close()


def test_a_worker_that_saw_a_wasm_trap_is_replaced_before_the_next_job(
    tmp_path, node_packages, dense_dir, monkeypatch
):
    # a trap leaves the WebAssembly heap as the kernel left it (seen: one abort made every later
    # model on that worker abort): the failure is the trapping model's alone
    trap = tmp_path / "trap"
    shutil.copytree(dense_dir, trap)
    monkeypatch.setenv("NODE_OPTIONS", f"--require {FAULTS}")
    monkeypatch.setenv("TFJS_BUILD_TEST_TRAP_DIR", str(trap))
    with RuntimePool() as pool:
        wasm = pool.get("wasm")
        _assert_dense(wasm.run(dense_dir, {"features": X}))
        with pytest.raises(RuntimeFailure, match="memory access out of bounds"):
            wasm.run(trap, {"features": X})
        assert wasm.worker is None and wasm.starts == 1
        _assert_dense(wasm.run(dense_dir, {"features": X}))
        assert wasm.starts == 2
