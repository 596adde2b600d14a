"""Localizing a divergence, whatever the artifact's format: the one entry point
(:func:`localize_divergence`) and the registry of one localizer per format."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from tfjs_build.artifact.format import GRAPH_FORMAT, LAYERS_FORMAT
from tfjs_build.options import ExplainMode
from tfjs_build.parity.divergence import Divergence
from tfjs_build.parity.reference import ReferenceResult
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.runtime.protocol import TfjsRuntime

__all__ = ["ExplainMode", "localize_divergence"]

LOCALIZERS: dict[str, tuple[Literal["layer", "node"], str]] = {
    LAYERS_FORMAT: ("layer", "tfjs_build.parity.localize_layers"),
    GRAPH_FORMAT: ("node", "tfjs_build.parity.localize_graph"),
}
"""Per artifact format: what it is made of, and the module whose ``localize(runtime,
artifact_dir, model, inputs, tolerance)`` finds where it diverges (imported when needed)."""


def localize_divergence(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    fmt: str,
    reference: ReferenceResult,
    inputs: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> Divergence:
    """Where the artifact (of format ``fmt``) in ``artifact_dir`` first diverges on ``runtime``
    from ``reference`` (the source's run on ``inputs``) beyond ``tolerance``: the first layer or
    node whose output exceeds it while its inputs are within it, whether that is its own error
    (re-run in TF.js on the reference's inputs) and the causes that can be named (including
    which weights' quantization breaks parity: :attr:`Divergence.quantized_weights`).

    Localizing never fails the check: what keeps it from running is its ``note``.
    """
    entry = LOCALIZERS.get(fmt)
    if entry is None or reference.model is None:
        return Divergence(runtime.backend, "layer", note=f"no localizer for {fmt} artifacts")
    kind, module = entry
    try:
        localize = importlib.import_module(module).localize
        found: Divergence = localize(
            runtime, Path(artifact_dir), reference.model, inputs, tolerance
        )
        return found
    except Exception as exc:  # a diagnosis must not turn a failed check into a crash
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        return Divergence(runtime.backend, kind, note=f"localizing failed ({detail})")
