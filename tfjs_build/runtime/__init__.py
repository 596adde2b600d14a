"""Real TensorFlow.js in Node: the pinned packages and a runner for artifacts on disk.

Names are imported on first use, so that reading the pinned versions does not import numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BACKENDS": "tfjs_build.runtime.tfjs",
    "Backend": "tfjs_build.runtime.tfjs",
    "run_in_tfjs": "tfjs_build.runtime.tfjs",
    "ensure_node_packages": "tfjs_build.runtime.node_packages",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tfjs_build.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
