"""``quantization = "auto"``: the narrowest dtype per weight that still passes parity.

Weights under :data:`SMALL_WEIGHT_ELEMENTS` elements (biases, normalization statistics) stay
float32 at once: they weigh next to nothing and hold the values quantization loses most often.
The search then tries every other float weight in uint8; while parity fails it widens one step
(uint8 -> uint16 -> float32) the weights the divergence report blames (the quantized weights of
the first diverging layer), or, when it blames none, every weight of the narrowest dtype in use.
Once it passes, the weights widened without blame are narrowed again in halving groups
(all of them, then each half of a group that fails, largest weights first).
Every step is one parity run; :data:`MAX_PARITY_RUNS` bounds them. When even every weight in
float32 fails, the search stops with that plan and parity's own failure says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tfjs_build.artifact.format import QuantizationDtype
from tfjs_build.artifact.quantization_record import (
    NARROWEST_FIRST,
    WHY,
    QuantizationPlanRecord,
    plan_summary,
)
from tfjs_build.artifact.quantization_rules import MixedQuantizationPlan
from tfjs_build.options import QuantizationTable

SMALL_WEIGHT_ELEMENTS = 256
"""Float weights with fewer elements than this stay float32 without a search."""
MAX_PARITY_RUNS = 12
"""The most parity runs one search makes."""
_WIDER: dict[QuantizationDtype, QuantizationDtype | None] = {"uint8": "uint16", "uint16": None}
_NARROWER: dict[QuantizationDtype | None, QuantizationDtype] = {None: "uint16", "uint16": "uint8"}
_BYTES_PER_ELEMENT = {"uint8": 1, "uint16": 2, "float16": 2, "float32": 4}

Dtypes = dict[str, QuantizationDtype | None]
"""Each float weight's storage (``None``: float32)."""


@dataclass(frozen=True)
class TrialOutcome:
    """One parity run of a candidate plan: whether it passed, the weights the report blames."""

    passed: bool
    blamed: tuple[str, ...] = ()


Trial = Callable[[Mapping[str, QuantizationDtype | None]], TrialOutcome]
"""Builds the artifact with these dtypes and checks its parity."""


@dataclass(frozen=True)
class QuantizationPlan:
    """The dtype of every float weight ``auto`` chose (in the artifact's order), and its cost."""

    dtypes: tuple[tuple[str, QuantizationDtype | None], ...]
    sizes: Mapping[str, int]
    parity_runs: int
    passed: bool
    why: Mapping[str, str] = field(default_factory=dict)
    """Why each weight not in uint8 is wider (a :data:`WHY` key)."""

    def names(self, dtype: str) -> list[str]:
        """The weights stored as ``dtype`` (``"float32"``: not quantized)."""
        return [n for n, d in self.dtypes if (d or "float32") == dtype]

    def table(self) -> QuantizationTable:
        """The plan as a quantization table of exact weight names (the lockfile's)."""
        return tuple(
            (dtype, tuple(self.names(dtype)))
            for dtype in ("float16", "uint8", "uint16")
            if self.names(dtype)
        )

    def quantizer(self) -> MixedQuantizationPlan:
        """The plan for :func:`~tfjs_build.artifact.files.write_artifact`."""
        return MixedQuantizationPlan(self.table())

    def bytes_by_dtype(self) -> dict[str, int]:
        """The weight bytes stored per dtype."""
        used: dict[str, int] = {}
        for name, dtype in self.dtypes:
            key = dtype or "float32"
            used[key] = used.get(key, 0) + self.sizes[name] * _BYTES_PER_ELEMENT[key]
        return used

    def record(self) -> QuantizationPlanRecord:
        """The plan as ``parity.json`` records it."""
        groups = {d: self.names(d) for d in NARROWEST_FIRST}
        return QuantizationPlanRecord(
            weights={d: names for d, names in groups.items() if names},
            bytes=self.bytes_by_dtype(),
            float32_bytes=4 * sum(self.sizes.values()),
            parity_runs=self.parity_runs,
            why={n: WHY[self.why.get(n, "tried")] for n, d in self.dtypes if d != "uint8"},
        )

    def summary(self) -> str:
        """``auto: 1.1 MB of 4.2 MB: uint8 for 31 weights, float32 for normalize/moving_variance``."""
        return plan_summary(self.record())


def search_quantization(
    weights: Sequence[tuple[str, np.ndarray]],
    trial: Trial,
    *,
    kept: Callable[[str], bool] = lambda name: False,
    max_runs: int = MAX_PARITY_RUNS,
) -> QuantizationPlan:
    """The narrowest dtypes for the float ``weights`` (name, values) that ``trial`` passes;
    weights ``kept`` says so of stay float32 (``quantize_only``/``quantize_skip``)."""
    sizes = {n: int(v.size) for n, v in weights if np.issubdtype(v.dtype, np.floating)}
    dtypes: Dtypes = {
        n: ("uint8" if size >= SMALL_WEIGHT_ELEMENTS and not kept(n) else None)
        for n, size in sizes.items()
    }
    searched = {n for n, d in dtypes.items() if d is not None}
    runs, blamed_ever = 0, set[str]()
    passed = False
    while runs < max_runs:
        outcome = trial(dtypes)
        runs += 1
        if outcome.passed:
            passed = True
            break
        blamed = [n for n in outcome.blamed if dtypes.get(n) is not None]
        blamed_ever.update(blamed)
        chosen = blamed or _narrowest(dtypes)
        if not chosen:
            break  # every weight is float32 and parity still fails: auto cannot help
        for name in chosen:
            dtypes[name] = _WIDER[dtypes[name]]  # type: ignore[index]
    if not passed and any(d is not None for d in dtypes.values()):
        dtypes = dict.fromkeys(dtypes)  # out of runs: float32, which the build checks once more
    if passed:
        runs = _narrow_again(dtypes, sizes, searched, blamed_ever, trial, runs, max_runs)
    why = {n: _why(n, sizes[n], searched, blamed_ever) for n in sizes}
    return QuantizationPlan(tuple(dtypes.items()), sizes, runs, passed, why)


def _why(name: str, size: int, searched: set[str], blamed: set[str]) -> str:
    """Why ``name`` would be wider than uint8 (a :data:`WHY` key)."""
    if name not in searched:
        return "small" if size < SMALL_WEIGHT_ELEMENTS else "excluded"
    return "blamed" if name in blamed else "tried"


def _narrowest(dtypes: Dtypes) -> list[str]:
    """Every weight of the narrowest dtype still in use."""
    for dtype in ("uint8", "uint16"):
        names = [n for n, d in dtypes.items() if d == dtype]
        if names:
            return names
    return []


def _narrow_again(
    dtypes: Dtypes,
    sizes: Mapping[str, int],
    searched: set[str],
    blamed: set[str],
    trial: Trial,
    runs: int,
    max_runs: int,
) -> int:
    """Narrow the ``searched`` weights widened without blame one step, in groups: all of them
    at once, and while a group fails, each half of it (largest weights first), keeping each
    group that passes; return the runs made in all. A candidate the widening already saw fail
    (narrowing everything back) is skipped without a run."""
    widened = sorted(
        (n for n, d in dtypes.items() if n not in blamed and n in searched and d != "uint8"),
        key=lambda n: -sizes[n],
    )
    groups = [widened] if widened else []
    while groups and runs < max_runs:
        group = groups.pop(0)
        candidate = {**dtypes, **{n: _NARROWER[dtypes[n]] for n in group}}
        if _all_uint8(candidate, searched):
            passed = False  # the first run's plan: known to fail
        else:
            runs += 1
            passed = trial(candidate).passed
        if passed:
            dtypes.update(candidate)
        elif len(group) > 1:
            half = (len(group) + 1) // 2
            groups += [group[:half], group[half:]]
    return runs


def _all_uint8(dtypes: Dtypes, searched: set[str]) -> bool:
    """Whether ``dtypes`` is the search's first candidate (every searched weight uint8)."""
    return all(dtypes[n] == "uint8" for n in searched)
