"""A project build runs parity in one long-lived Node worker per backend, and survives losing one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.project_helpers import PROBE, lock, records
from tests.conftest import make_user_repo, pyproject
from tfjs_build.runtime.node_worker import SCRATCH_PREFIX

MODELS = ("dense", "conv", "scorer")


def _counting_node(tmp_path: Path) -> tuple[Path, Path]:
    """A directory holding a ``node`` that logs its pid and arguments, then becomes the real one."""
    real = shutil.which("node")
    log = tmp_path / "node-starts.log"
    bin_dir = tmp_path / "counting-bin"
    bin_dir.mkdir()
    (bin_dir / "node").write_text(f'#!/bin/sh\necho "$$ $*" >> "{log}"\nexec "{real}" "$@"\n')
    (bin_dir / "node").chmod(0o755)
    return bin_dir, log


def _workers(log: Path) -> list[tuple[int, str]]:
    """``(pid, backend)`` of every worker started, in order."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        pid, *args = line.split()
        if args and args[0].endswith("worker.js"):
            found.append((int(pid), args[2]))
    return found


def _start_build(
    tmp_path: Path, model_files: Path
) -> tuple[Path, Path, Path, subprocess.Popen[str]]:
    """``tfjs-build convert`` of three models with parity on cpu and wasm, started with the
    counting ``node`` first on PATH: the project root, the node log, TMPDIR and the process."""
    config = pyproject(*MODELS, top='parity = true\nparity_backends = ["cpu", "wasm"]')
    root = make_user_repo(tmp_path / "repo", model_files, config)
    bin_dir, log = _counting_node(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(scratch),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, "convert", "--no-cache", "--json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return root, log, scratch, process


def _outcomes(stdout: str) -> dict[str, str]:
    return records(subprocess.CompletedProcess([], 0, stdout))


def _assert_built_and_passed(root: Path, process: subprocess.Popen[str], stdout: str) -> None:
    assert process.returncode == 0, stdout
    for name, entry in lock(root)["models"].items():
        assert entry["parity"]["passed"] is True, name
        assert entry["parity"]["backends"] == ["cpu", "wasm"], name


def test_a_build_of_several_models_starts_one_worker_per_backend(
    tmp_path, model_files, node_packages
):
    root, log, scratch, process = _start_build(tmp_path, model_files)
    stdout, stderr = process.communicate(timeout=600)
    _assert_built_and_passed(root, process, stderr)
    assert _outcomes(stdout) == dict.fromkeys(MODELS, "converted")
    starts = log.read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in starts if "worker.js" not in line] == ["--version"]
    assert sorted(backend for _, backend in _workers(log)) == ["cpu", "wasm"]  # started in parallel
    assert not list(scratch.glob(f"{SCRATCH_PREFIX}*"))  # the workers' scratch went with them


def test_a_worker_killed_mid_build_is_restarted_and_its_model_retried_once(
    tmp_path, model_files, node_packages
):
    root, log, scratch, process = _start_build(tmp_path, model_files)
    try:
        deadline = time.monotonic() + 300
        while not list(scratch.glob(f"{SCRATCH_PREFIX}*/job*")):  # a job is being sent or run
            assert process.poll() is None and time.monotonic() < deadline, "no job was ever run"
            time.sleep(0.01)
        victim = _workers(log)[0]
        os.kill(victim[0], signal.SIGSTOP)  # it cannot answer: the job in flight stays in flight
        time.sleep(0.5)
        os.kill(victim[0], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    _assert_built_and_passed(root, process, stderr)
    assert _outcomes(stdout) == dict.fromkeys(MODELS, "converted")
    workers = _workers(log)
    assert sorted(backend for _, backend in workers) == ["cpu", "cpu", "wasm"]  # one restart
    assert workers[0] == victim
