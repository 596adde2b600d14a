"""How ``parity.json`` records the plan ``quantization = "auto"`` chose, and that record read back
(standard library only: ``inspect`` and the lockfile read it)."""

from __future__ import annotations

from typing import TypedDict

NARROWEST_FIRST = ("uint8", "uint16", "float16", "float32")
"""The storage dtypes ``auto`` chooses from, narrowest first (the order plans are shown in)."""


class QuantizationPlanRecord(TypedDict):
    """The plan ``auto`` chose, as ``parity.json`` records it."""

    weights: dict[str, list[str]]
    """The weight names per dtype (``float32``: kept wide)."""
    bytes: dict[str, int]
    """The weight bytes stored per dtype."""
    float32_bytes: int
    """What the same weights take in float32."""
    parity_runs: int
    """The parity runs the search made when the artifact was built (the publishing check,
    one more, not counted)."""
    why: dict[str, str]
    """Why each weight not in uint8 is wider (one of :data:`WHY`'s values)."""


WHY = {
    "small": "under 256 elements: float32 without a search",
    "excluded": "left out by quantize_only/quantize_skip",
    "blamed": "the divergence report blamed it",
    "tried": "narrower failed parity, or the search ran out of runs",
}
"""The reasons a weight is kept wider than uint8, as the record words them."""


def plan_summary(record: QuantizationPlanRecord) -> str:
    """The one-line summary of a recorded plan (the convert line's and ``inspect``'s)."""
    parts = []
    for dtype in NARROWEST_FIRST:
        names = record["weights"].get(dtype)
        if not names:
            continue
        shown = names[0] if len(names) == 1 else f"{len(names)} weights"
        parts.append(f"{dtype} for {shown}")
    stored, whole = sum(record["bytes"].values()), record["float32_bytes"]
    scale, unit = (1e6, "MB") if whole >= 1e6 else (1e3, "kB")
    runs = record["parity_runs"]
    return (
        f"auto: {stored / scale:.1f} {unit} of {whole / scale:.1f} {unit}: "
        f"{', '.join(parts)} ({runs} parity run{'s' if runs != 1 else ''})"
    )


def recorded_plan(parity_record: object) -> QuantizationPlanRecord | None:
    """The plan in a ``parity.json`` document (untrusted), or ``None`` without a well-formed one."""
    plan = parity_record.get("quantization_plan") if isinstance(parity_record, dict) else None
    if not isinstance(plan, dict):
        return None
    weights, sizes = plan.get("weights"), plan.get("bytes")
    well_formed = (
        isinstance(weights, dict)
        and all(
            isinstance(v, list) and all(isinstance(n, str) for n in v) for v in weights.values()
        )
        and isinstance(sizes, dict)
        and all(isinstance(v, int) for v in sizes.values())
        and isinstance(plan.get("float32_bytes"), int)
        and isinstance(plan.get("parity_runs"), int)
        and isinstance(plan.get("why"), dict)
        and all(isinstance(v, str) for v in plan["why"].values())
    )
    return plan if well_formed else None  # type: ignore[return-value]  # checked above


def resolved_table(plan: QuantizationPlanRecord) -> dict[str, list[str]]:
    """The plan as the quantization table it resolved to: exact weight names per dtype."""
    return {dtype: names for dtype, names in plan["weights"].items() if dtype != "float32"}
