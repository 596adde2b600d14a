"""Localize a graph model's divergence (not yet: see localize_layers for layers models)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.parity.divergence import Divergence
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.runtime.protocol import TfjsRuntime


def localize(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    function: Any,
    inputs: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> Divergence:
    """Where the graph artifact first diverges from ``function`` (the source's graph)."""
    return Divergence(runtime.backend, "node", note="graph models are not localized yet")
