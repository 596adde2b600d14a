"""Real TensorFlow.js in Node: the pinned packages and a runner for artifacts on disk."""

from __future__ import annotations

from tfjs_build.runtime.node_packages import ensure_node_packages
from tfjs_build.runtime.tfjs import BACKENDS, Backend, run_in_tfjs

__all__ = ["BACKENDS", "Backend", "ensure_node_packages", "run_in_tfjs"]
