"""The long-lived Node worker as a process: it starts ready, ends on close, and never outlives us."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import becomes_true
from tfjs_build.runtime.node_packages import NodeSetup
from tfjs_build.runtime.node_worker import SCRATCH_PREFIX, NodeWorker, WorkerDied

FAULTS = Path(__file__).with_name("worker_faults.js")


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped yet does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _gone(pid: int, timeout: float = 20.0) -> bool:
    return becomes_true(lambda: not _running(pid), timeout)


@pytest.fixture(scope="module")
def setup(node_packages: Path) -> NodeSetup:
    return NodeSetup()


def test_a_worker_gets_ready_in_its_own_session_and_exits_when_closed(setup):
    worker = NodeWorker(setup.node, setup.packages, "wasm")
    scratch = worker.scratch
    assert scratch.name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-") and scratch.is_dir()
    assert os.getsid(worker.pid) == worker.pid  # a terminal's Ctrl-C goes to us, not to it
    assert worker.started_memory is None  # loading TF.js while we go on
    worker.wait_ready()
    assert worker.alive and worker.jobs == 0 and worker.started_memory is not None
    assert worker.started_memory["tensors"] == 0 and worker.started_memory["rss"] > 10_000_000
    worker.close()
    assert worker.process.returncode == 0  # it exited on its own when its stdin closed
    assert not scratch.exists()
    worker.close()  # again: nothing happens


def test_a_worker_that_cannot_load_tfjs_says_why_and_leaves_nothing(setup, tmp_path):
    # other tests' workers (a session's pool) may hold scratch directories of this process: only
    # this worker's must be gone
    scratch = Path(os.environ["TMPDIR"])
    before = set(scratch.glob(f"{SCRATCH_PREFIX}{os.getpid()}-*"))
    worker = NodeWorker(setup.node, tmp_path, "cpu")  # no node_modules there
    with pytest.raises(
        WorkerDied,
        match=r"^the Node worker exited with code 1: Cannot find module '@tensorflow/tfjs-core'$",
    ):
        worker.wait_ready()
    assert set(scratch.glob(f"{SCRATCH_PREFIX}{os.getpid()}-*")) <= before


def test_lines_on_stdout_that_are_no_reply_are_skipped(setup, monkeypatch):
    monkeypatch.setenv("NODE_OPTIONS", f"--require {FAULTS}")
    monkeypatch.setenv("TFJS_BUILD_TEST_NOISE", "1")
    worker = NodeWorker(setup.node, setup.packages, "cpu")
    try:
        reply = worker.call({"model_dir": "/nonexistent", "inputs": [], "outputs": None})
    finally:
        worker.close()
    assert reply["ok"] is False and "model.json" in reply["error"]
    assert worker.jobs == 1


def test_a_call_to_a_dead_worker_raises_worker_died(setup):
    worker = NodeWorker(setup.node, setup.packages, "cpu")
    os.kill(worker.pid, signal.SIGKILL)
    assert _gone(worker.pid) or not worker.alive
    with pytest.raises(WorkerDied, match="the Node worker was killed"):
        worker.call({"model_dir": "/nonexistent", "inputs": [], "outputs": None})
    worker.close()


OWNER = textwrap.dedent(
    """
    import sys, time
    from tfjs_build.runtime.node_packages import NodeSetup
    from tfjs_build.runtime.node_worker import NodeWorker
    setup = NodeSetup()
    worker = NodeWorker(setup.node, setup.packages, sys.argv[1])
    worker.wait_ready()
    print(worker.pid, worker.scratch, flush=True)
    time.sleep(600)
    """
)


def _hold_a_worker(packages: Path, node: str, report: Any) -> None:
    worker = NodeWorker(node, packages, "cpu")
    worker.wait_ready()
    report.send((worker.pid, str(worker.scratch)))
    HELD.append(worker)  # alive when the process leaves by os._exit, skipping every finalizer


HELD: list[NodeWorker] = []


def test_a_forked_process_that_leaves_by_os_exit_leaves_no_worker_behind(setup):
    """As a ``doit -n`` build process does: the worker removes its own scratch directory."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    child = context.Process(target=_hold_a_worker, args=(setup.packages, setup.node, theirs))
    child.start()
    pid, scratch = ours.recv()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert _gone(pid), "the worker outlived the process that started it"
    assert not Path(scratch).exists()


@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_a_worker_exits_by_itself_when_its_owner_is_killed(node_packages, backend):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, backend], stdout=subprocess.PIPE, text=True
    )
    try:
        pid, scratch = owner.stdout.readline().split()  # type: ignore[union-attr]
        assert _running(int(pid)) and Path(scratch).is_dir()
        owner.kill()  # SIGKILL: no cleanup of any kind runs in the owner
        owner.wait(timeout=30)
        assert _gone(int(pid)), "the worker outlived its owner"
        assert not Path(scratch).exists()  # the worker removed it
    finally:
        if owner.poll() is None:
            owner.kill()
