"""Parity tolerances and their defaults per weight quantization (MEASURED; see below)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tfjs_build.errors import TfjsBuildError


@dataclass(frozen=True)
class Tolerance:
    """An element passes when ``|candidate - reference| <= atol + rtol * |reference|``.

    ``min_argmax_agreement`` (0..1), when set, also requires classifier-like outputs to pick the
    same class in at least that fraction of rows.
    """

    atol: float
    rtol: float
    min_argmax_agreement: float | None = None

    def __post_init__(self) -> None:
        if self.atol < 0 or self.rtol < 0:
            raise TfjsBuildError(
                f"parity tolerance must not be negative (atol {self.atol}, rtol {self.rtol})"
            )
        agreement = self.min_argmax_agreement
        if agreement is not None and not 0.0 <= agreement <= 1.0:
            raise TfjsBuildError(f"min_argmax_agreement must be within 0..1, got {agreement}")


DEFAULT_TOLERANCES: dict[str | None, Tolerance] = {
    None: Tolerance(atol=1e-4, rtol=1e-3),
    "float16": Tolerance(atol=1e-2, rtol=1e-2),
    "uint16": Tolerance(atol=1e-2, rtol=1e-2),
    "uint8": Tolerance(atol=1e-1, rtol=1e-1),
}


def artifact_quantization(model_json: Mapping[str, Any]) -> str | None:
    """The coarsest weight quantization in ``model_json``'s manifest (``None``: none)."""
    found = {
        entry.get("quantization", {}).get("dtype")
        for group in model_json.get("weightsManifest") or []
        for entry in group.get("weights", [])
    }
    for dtype in ("uint8", "uint16", "float16"):
        if dtype in found:
            return dtype
    return None


def default_tolerance(quantization: str | None) -> Tolerance:
    """The default tolerance for weights quantized to ``quantization`` (``None``: float32)."""
    key = None if quantization in (None, "float32", "none") else quantization
    try:
        return DEFAULT_TOLERANCES[key]
    except KeyError:
        known = ", ".join(k for k in DEFAULT_TOLERANCES if k)
        raise TfjsBuildError(
            f"unknown quantization {quantization!r} for parity tolerances; use one of {known}"
        ) from None
