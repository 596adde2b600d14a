"""Which quantization each weight gets: shell patterns per dtype, the most specific match winning.

A table such as ``{uint8 = ["*/kernel"], float16 = ["*"]}`` quantizes kernels to uint8 and every
other float weight to float16. When several patterns match a weight, the most specific decides:

1. an exact name (a pattern without ``*``, ``?`` or ``[``) beats every pattern with wildcards;
2. else the longer literal prefix (the characters before the first wildcard) wins:
   ``dense_1/*`` beats ``*/kernel`` for ``dense_1/kernel``;
3. else the more literal characters (outside wildcards and ``[...]`` classes) win:
   ``*/kernel`` beats ``*``.

Patterns equally specific by all three that give a weight different dtypes are an error naming
both. Weights matching a ``quantize_skip`` pattern, and weights that are not float, stay as they
are. Standard library only: :class:`ResolvedQuantization` is the plan, weight by weight.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from tfjs_build.artifact.format import QUANTIZATION_DTYPES, QuantizationDtype
from tfjs_build.errors import ArtifactError

_WILDCARDS = "*?["
COARSEST_FIRST: tuple[QuantizationDtype, ...] = ("uint8", "float16", "uint16")
"""Quantization dtypes from the largest error to the smallest (their parity tolerances' order)."""


def specificity(pattern: str) -> tuple[bool, int, int]:
    """How specific ``pattern`` is (larger wins): exact name, literal prefix, literal characters."""
    prefix = len(pattern)
    for i, char in enumerate(pattern):
        if char in _WILDCARDS:
            prefix = i
            break
    literal, in_class = 0, False
    for char in pattern:
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char not in "*?":
            literal += 1
    return prefix == len(pattern), prefix, literal


@dataclass(frozen=True)
class WeightQuantization:
    """One weight's decision: its dtype (``None``: stored as it is) and the pattern that chose it."""

    name: str
    dtype: QuantizationDtype | None
    pattern: str | None = None


@dataclass(frozen=True)
class ResolvedQuantization:
    """The quantization of every weight of one model, in the artifact's weight order."""

    weights: tuple[WeightQuantization, ...]

    def dtype_of(self, name: str) -> QuantizationDtype | None:
        """The dtype weight ``name`` is stored as (``None``: not quantized, or no such weight)."""
        return next((w.dtype for w in self.weights if w.name == name), None)

    @property
    def dtypes(self) -> tuple[QuantizationDtype, ...]:
        """The quantization dtypes some weight uses, coarsest first."""
        used = {w.dtype for w in self.weights}
        return tuple(d for d in COARSEST_FIRST if d in used)

    @property
    def coarsest(self) -> QuantizationDtype | None:
        """The dtype with the largest error that some weight uses (parity's default tolerance)."""
        return self.dtypes[0] if self.dtypes else None


class WeightQuantizer(Protocol):
    """Decides each weight's quantization dtype."""

    def decide(self, name: str, is_float: bool) -> WeightQuantization:
        """The dtype of weight ``name`` (float32 when ``is_float``), and the pattern deciding it."""


def _skipped(name: str, exclude: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)


@dataclass(frozen=True)
class MixedQuantizationPlan:
    """Patterns per dtype (``rules``: ``(dtype, patterns)`` pairs); see the module docstring."""

    rules: tuple[tuple[QuantizationDtype, tuple[str, ...]], ...]
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for dtype, _ in self.rules:
            if dtype not in QUANTIZATION_DTYPES:
                raise ArtifactError(
                    f"unknown quantization {dtype!r}; choose one of {', '.join(QUANTIZATION_DTYPES)}"
                )

    @classmethod
    def from_table(
        cls, table: Mapping[QuantizationDtype, Iterable[str]], exclude: Iterable[str] = ()
    ) -> MixedQuantizationPlan:
        """The plan of ``{dtype: patterns}``."""
        return cls(tuple((d, tuple(p)) for d, p in table.items()), tuple(exclude))

    def decide(self, name: str, is_float: bool) -> WeightQuantization:
        if not is_float or _skipped(name, self.exclude):
            return WeightQuantization(name, None)
        matches = [
            (specificity(pattern), dtype, pattern)
            for dtype, patterns in self.rules
            for pattern in patterns
            if fnmatch.fnmatchcase(name, pattern)
        ]
        if not matches:
            return WeightQuantization(name, None)
        best = max(rank for rank, _, _ in matches)
        winners = [(dtype, pattern) for rank, dtype, pattern in matches if rank == best]
        clash = [(d, p) for d, p in winners if d != winners[0][0]]
        if clash:
            (d1, p1), (d2, p2) = winners[0], clash[0]
            raise ArtifactError(
                f"weight {name!r} is matched by {d1} pattern {p1!r} and {d2} pattern {p2!r}, which "
                "are equally specific; make one more specific (an exact weight name wins over "
                "any pattern) or remove one"
            )
        return WeightQuantization(name, winners[0][0], winners[0][1])


def resolve_quantization(
    quantizer: WeightQuantizer, weights: Iterable[tuple[str, bool]]
) -> ResolvedQuantization:
    """Each weight's decision, for ``(name, is_float)`` pairs in the artifact's order."""
    return ResolvedQuantization(tuple(quantizer.decide(name, f) for name, f in weights))
