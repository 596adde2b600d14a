"""Real TensorFlow.js: Node (cpu, wasm) and headless Chromium (webgl, webgl-f16) runtimes.

Names are imported on first use, so that reading the pinned versions does not import numpy.
"""

from __future__ import annotations

from tfjs_build._lazy import lazy_getattr

_EXPORTS = {
    "NodeRuntime": "tfjs_build.runtime.tfjs",
    "RuntimePool": "tfjs_build.runtime.pool",
    "TfjsRuntime": "tfjs_build.runtime.protocol",
    "TimedRun": "tfjs_build.runtime.protocol",
    "ensure_node_packages": "tfjs_build.runtime.node_packages",
    "find_chrome": "tfjs_build.runtime.chrome",
    "run_in_tfjs": "tfjs_build.runtime.tfjs",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
