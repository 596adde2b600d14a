"""Causes in a layer's or node's weights: values that differ from the source's, and quantized
weights whose float32 values make it right again (the check re-runs it with them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from tfjs_build.artifact.files import read_model_json
from tfjs_build.artifact.format import Quantization
from tfjs_build.parity.divergence import WEIGHT_RTOL, Cause

Weights = Mapping[str, np.ndarray]
"""Weights by the artifact's names."""


def quantized_weights(artifact_dir: Path) -> dict[str, Quantization]:
    """The quantization of each quantized weight of the artifact, by name."""
    manifest = read_model_json(artifact_dir).get("weightsManifest") or []
    return {
        entry["name"]: entry["quantization"]
        for group in manifest
        for entry in group["weights"]
        if "quantization" in entry
    }


def weight_causes(
    pairs: Mapping[str, tuple[np.ndarray, np.ndarray]],
    quantization: Mapping[str, Quantization],
    fixed_by: Callable[[Weights], bool],
    what: Callable[[str], str],
) -> list[Cause]:
    """Causes among ``pairs`` (name: the artifact's value as TF.js reads it, the source's):
    weights that differ beyond their quantization's rounding, then the quantized weights
    without which the layer or node is right (``fixed_by(float32 values)`` re-runs it; those
    that fix it alone are named, else all). ``what(name)`` words a weight (``the kernel``)."""
    causes: list[Cause] = []
    originals: dict[str, np.ndarray] = {}
    for name, (value, original) in pairs.items():
        if value.shape != original.shape or original.dtype.kind != "f":
            continue
        scheme = quantization.get(name)
        slack = _rounding(scheme, original) + WEIGHT_RTOL * float(np.abs(original).max(initial=0.0))
        difference = float(np.abs(value.astype(np.float64) - original).max(initial=0.0))
        if difference > slack:
            detail = f"{what(name)} differs from the source's (by up to {difference:.2g})"
            causes.append(Cause("weight_differs", detail, name))
        elif scheme is not None:
            originals[name] = original.astype(np.float32)
    if originals and fixed_by(originals):
        alone = [name for name in originals if fixed_by({name: originals[name]})]
        for name in alone or list(originals):
            detail = f"{quantization[name]['dtype']} quantization of {name}"
            causes.append(Cause("quantization", detail, name))
    return causes


def _rounding(quantization: Quantization | None, original: np.ndarray) -> float:
    """The largest rounding error ``quantization`` makes in a weight like ``original``."""
    if quantization is None:
        return 0.0
    if quantization["dtype"] == "float16":
        return float(np.abs(original).max(initial=0.0)) * 2.0**-11
    return float(quantization.get("scale", 0.0)) * 0.51
