"""Running the real ``tfjs-build`` CLI in a user repo, as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HEAVY = (
    "tensorflow",
    "keras",
    "tf_keras",
    "numpy",
    "h5py",
    "fsspec",
    "botocore",
    "obstore",
    "cryptography",
)
PROBE = f"""
import sys
from tfjs_build.cli import main
code = main(sys.argv[1:])
print("IMPORTED", sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)
sys.exit(code)
"""


def tfjs_build(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tfjs-build ARGS`` in ``cwd``; stderr ends with ``IMPORTED [...]``: the heavy modules (and
    the remote cache's clients) it loaded."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, env=env
    )


def imported(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The heavy modules the process imported."""
    line = [x for x in result.stderr.splitlines() if x.startswith("IMPORTED ")][-1]
    return list(json.loads(line.removeprefix("IMPORTED ").replace("'", '"')))


def records(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """``{model: outcome}`` from ``convert --json``."""
    return {r["name"]: r["outcome"] for r in json.loads(result.stdout)["models"]}


def lock(root: Path) -> dict[str, Any]:
    """The repo's lockfile."""
    return dict(json.loads((root / "tfjs-build.lock").read_text()))


def messages(result: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr's lines, without the probe's own."""
    return [line for line in result.stderr.splitlines() if not line.startswith("IMPORTED ")]
