"""``doit -n``: each forked build process runs its own Node workers, and none outlives the build."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import make_user_repo, pyproject
from tfjs_build.runtime.node_worker import SCRATCH_PREFIX


def _leftovers(scratch: Path) -> tuple[list[str], list[Path]]:
    """Node processes naming ``scratch`` on their command line, and workers' scratch directories."""
    found = subprocess.run(["pgrep", "-af", str(scratch)], capture_output=True, text=True)
    processes = [line for line in found.stdout.splitlines() if "node" in line]
    return processes, list(scratch.glob(f"{SCRATCH_PREFIX}*"))


def test_a_parallel_build_leaves_no_worker_and_no_scratch(tmp_path, model_files, node_packages):
    config = pyproject(
        "dense", "conv", "scorer", top='parity = true\nparity_backends = ["cpu", "wasm"]'
    )
    root = make_user_repo(tmp_path / "repo", model_files, config)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "doit", "-n", "2", "convert"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("parity max abs error") == 3
    # Forked build processes leave by os._exit, which skips atexit: what ends their workers is
    # their pools being collected, or else the workers noticing the closed pipe.
    deadline = time.monotonic() + 20
    while _leftovers(scratch) != ([], []) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _leftovers(scratch) == ([], [])
