"""A template repo with three real models, copied into each test's temporary directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PYPROJECT = """\
[tool.tfjs-build]
output_root = "web_model"
parity = false

[[tool.tfjs-build.models]]
name = "dense"
source = "models/dense.keras"

[[tool.tfjs-build.models]]
name = "conv"
source = "models/conv.h5"

[[tool.tfjs-build.models]]
name = "scorer"
source = "models/scorer"
parity = true
"""

DODO = "from tfjs_build.doit import task_convert  # noqa: F401\n"


@pytest.fixture()
def repo(tmp_path, model_files) -> Path:
    """A fresh user repo: pyproject.toml, the one-line dodo.py, and the three models."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "dodo.py").write_text(DODO)
    shutil.copytree(
        model_files, root / "models", ignore=shutil.ignore_patterns("dense_changed.keras")
    )
    return root
