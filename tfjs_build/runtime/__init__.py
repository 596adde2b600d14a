"""Real TensorFlow.js in Node: the pinned packages and a runner for artifacts on disk.

Names are imported on first use, so that reading the pinned versions does not import numpy.
"""

from __future__ import annotations

from tfjs_build._lazy import lazy_getattr

_EXPORTS = {
    "BACKENDS": "tfjs_build.runtime.tfjs",
    "Backend": "tfjs_build.runtime.tfjs",
    "run_in_tfjs": "tfjs_build.runtime.tfjs",
    "ensure_node_packages": "tfjs_build.runtime.node_packages",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
