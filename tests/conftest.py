"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """The real, pinned TF.js packages (installed on first use into the per-user cache)."""
    from tfjs_build.runtime import ensure_node_packages

    return ensure_node_packages()
