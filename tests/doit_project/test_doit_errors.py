"""doit and the CLI under mistakes and interrupts: one line, a clean exit, nothing left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import make_user_repo, pyproject

FAULTS = Path(__file__).parents[1] / "runtime" / "worker_faults.js"


@pytest.mark.parametrize("command", [["convert"], ["list"], ["clean", "convert"]])
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            ("parity =", "parity_backend ="),
            "unknown key 'parity_backend' in [tool.tfjs-build]; did you mean 'parity_backends'?",
        ),
        (
            ("tool.tfjs-build", "tool.tfjs_build"),
            "has no [tool.tfjs-build] table ([tool.tfjs_build] is spelt with an underscore; the "
            "table is [tool.tfjs-build]); add one with [[tool.tfjs-build.models]] entries",
        ),
    ],
)
def test_a_configuration_error_under_doit_is_one_line(
    tmp_path: Path, model_files: Path, command: list[str], damage: tuple[str, str], message: str
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace(*damage))
    result = subprocess.run(
        [sys.executable, "-m", "doit", *command], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"tfjs-build: error: {root / 'pyproject.toml'}: {message}"
        if "unknown key" in message
        else f"tfjs-build: error: {root / 'pyproject.toml'} {message}"
    ]


def _node_processes_under(directory: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-af", str(directory)], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "node" in line]


def _wait_for(predicate: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _runs(scratch: Path) -> list[Path]:
    """The TF.js workers' scratch directories (one appears as a worker starts)."""
    return [p for p in scratch.iterdir() if p.name.startswith("tfjs-build-run-")]


def _jobs(scratch: Path) -> list[Path]:
    """The directories of jobs sent to a worker and not yet answered."""
    return [job for run in _runs(scratch) for job in run.glob("job*")]


@pytest.mark.parametrize(
    ("argv", "stop", "code", "line", "moment"),
    [
        (["doit", "convert"], signal.SIGINT, 130, "tfjs-build: interrupted", _runs),
        (["doit", "convert"], signal.SIGTERM, 143, "tfjs-build: terminated", _runs),
        (["tfjs_build", "convert"], signal.SIGINT, 130, "tfjs-build: interrupted", _runs),
        (["tfjs_build", "convert"], signal.SIGTERM, 143, "tfjs-build: terminated", _runs),
        (["doit", "convert"], signal.SIGINT, 130, "tfjs-build: interrupted", _jobs),
        (["tfjs_build", "convert"], signal.SIGTERM, 143, "tfjs-build: terminated", _jobs),
    ],
    ids=[
        "doit-ctrl-c",
        "doit-sigterm",
        "cli-ctrl-c",
        "cli-sigterm",
        "doit-ctrl-c-mid-job",
        "cli-sigterm-mid-job",
    ],
)
def test_an_interrupt_while_tfjs_runs_ends_cleanly(
    tmp_path: Path,
    model_files: Path,
    node_packages: Path,
    argv: list[str],
    stop: signal.Signals,
    code: int,
    line: str,
    moment: Callable[[Path], list[Path]],
) -> None:
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", "conv", top="parity = true")
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if moment is _jobs:  # each TF.js job takes a while: the signal arrives while one runs
        env.update(NODE_OPTIONS=f"--require {FAULTS}", TFJS_BUILD_TEST_SLOW_SECONDS="5")
    process = subprocess.Popen(
        [sys.executable, "-m", *argv],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: moment(scratch) or process.poll() is not None)
        assert process.poll() is None, "the build ended before TF.js ran"
        os.killpg(process.pid, stop)  # as a terminal's Ctrl-C reaches the whole group
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == code, stdout + stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.splitlines()[-1] == line
    assert _runs(scratch) == []
    assert _node_processes_under(scratch) == []
    assert not list(root.rglob(".*.tfjs-build-new-*"))  # no staging directory left
    assert not (root / ".tfjs-build" / "rejected").exists()  # an interrupt rejects nothing
