"""Weight quantization as TF.js dequantizes it: float16, and affine uint8/uint16.

Affine quantization stores ``q`` and TF.js computes ``q * scale + min`` in float32. The range is
widened to include zero and ``min`` is nudged onto the grid so that 0.0 is stored exactly (padding
and masked weights stay exactly zero); every other value is off by at most ``scale / 2``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tfjs_build.artifact.format import QUANTIZATION_DTYPES, Quantization, QuantizationDtype
from tfjs_build.artifact.quantization_rules import WeightQuantization
from tfjs_build.errors import ArtifactError

_FLOAT16_MAX = float(np.finfo(np.float16).max)


@dataclass(frozen=True)
class QuantizationPlan:
    """Which weights to quantize and how: float32 weights whose names match ``include`` and no
    pattern of ``exclude`` (shell-style patterns such as ``*/bias``)."""

    dtype: QuantizationDtype
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.dtype not in QUANTIZATION_DTYPES:
            raise ArtifactError(
                f"unknown quantization {self.dtype!r}; choose one of {', '.join(QUANTIZATION_DTYPES)}"
            )

    def applies_to(self, name: str, array: np.ndarray) -> bool:
        """Whether weight ``name`` (with data ``array``) is quantized under this plan."""
        return self.decide(name, array.dtype.kind == "f").dtype is not None

    def decide(self, name: str, is_float: bool) -> WeightQuantization:
        """This plan's dtype for weight ``name`` if it is float and included and not excluded."""
        included = next((p for p in self.include if fnmatch.fnmatchcase(name, p)), None)
        if not is_float or included is None:
            return WeightQuantization(name, None)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.exclude):
            return WeightQuantization(name, None)
        return WeightQuantization(name, self.dtype, included)


def quantization_plan(
    dtype: QuantizationDtype | None,
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
) -> QuantizationPlan | None:
    """A plan for ``dtype``, or ``None`` when ``dtype`` is ``None`` (no quantization)."""
    if dtype is None:
        return None
    return QuantizationPlan(dtype, tuple(include) or ("*",), tuple(exclude))


def quantize(
    name: str, values: np.ndarray, dtype: QuantizationDtype
) -> tuple[np.ndarray, Quantization]:
    """Quantize float32 ``values``; return the stored array (little-endian) and its metadata."""
    if dtype == "float16":
        return _to_float16(name, values), {"dtype": "float16"}
    return _affine(name, values, dtype)


def dequantize(stored: np.ndarray, quantization: Quantization, dtype: str) -> np.ndarray:
    """The values TF.js reconstructs from ``stored`` for a weight of ``dtype``."""
    qdtype = quantization["dtype"]
    if qdtype == "float16":
        return stored.astype(np.float32)
    values = stored.astype(np.float64) * quantization["scale"] + quantization["min"]
    if dtype == "int32":
        return np.round(values).astype(np.int32)
    return values.astype(np.float32)


def _to_float16(name: str, values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size and float(np.abs(finite).max()) > _FLOAT16_MAX:
        raise ArtifactError(
            f"weight {name!r} has values beyond float16's range (|x| <= {_FLOAT16_MAX:g}); "
            "exclude it from quantization or use uint16"
        )
    return values.astype("<f2")


def _affine(
    name: str, values: np.ndarray, dtype: QuantizationDtype
) -> tuple[np.ndarray, Quantization]:
    storage = np.dtype("<u1") if dtype == "uint8" else np.dtype("<u2")
    levels = int(np.iinfo(storage).max)
    if values.size and not np.isfinite(values).all():
        raise ArtifactError(
            f"weight {name!r} has NaN or infinite values, which {dtype} quantization cannot store; "
            "exclude it from quantization"
        )
    lo = min(float(values.min()), 0.0) if values.size else 0.0
    hi = max(float(values.max()), 0.0) if values.size else 0.0
    if hi == lo:
        return np.zeros(values.shape, storage), {"dtype": dtype, "min": lo, "scale": 1.0}
    scale = (hi - lo) / levels
    zero_point = round(-lo / scale)
    minimum = -zero_point * scale  # a double, as TF.js computes q * scale + min: zero stays exact
    stored = np.clip(np.rint((values.astype(np.float64) - minimum) / scale), 0, levels).astype(
        storage
    )
    return stored, {"dtype": dtype, "min": minimum, "scale": scale}
