"""The diff as plain text, for a terminal: one block per model, only what changed."""

from __future__ import annotations

from tfjs_build.diff.changes import DiffReport, ModelDiff
from tfjs_build.diff.wording import (
    block_word,
    blocks_text,
    cause_text,
    change_of,
    parity_text,
    signature_text,
    size_text,
    tensors_text,
)

_MARKS = {"changed": "~", "added": "+", "removed": "-"}


def render(report: DiffReport) -> str:
    """Every changed model; a single line when none did."""
    heading = f"tfjs-build diff {report.base}..{report.head}"
    if not report.models:
        return f"{heading}: no model changed\n"
    counts = {s: sum(1 for m in report.models if m.status == s) for s in _MARKS}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines = [f"{heading}: {summary}"]
    for model in report.models:
        lines += _model_lines(model)
    return "\n".join(lines) + "\n"


def _model_lines(model: ModelDiff) -> list[str]:
    lines = [f"{_MARKS[model.status]} {model.name}: {cause_text(model)}"]
    before, after = model.before, model.after
    facts = after or before
    if model.status != "changed":
        if facts is not None:
            lines.append(
                f"    {facts.format}, {size_text(model)}, quantization {facts.quantization}"
            )
            lines.append(f"    {tensors_text(facts)}")
        lines.append(f"    parity: {parity_text(model.parity[0] or model.parity[1])}")
        return lines
    lines += [f"    signature: {signature_text(c)}" for c in model.signature]
    lines.append(f"    size: {size_text(model)}")
    if before and after and before.format != after.format:
        lines.append(f"    format: {change_of(before.format, after.format)}")
    if before and after and before.quantization != after.quantization:
        lines.append(f"    quantization: {change_of(before.quantization, after.quantization)}")
    if model.blocks_added or model.blocks_removed:
        lines.append(f"    {block_word(model)}: {blocks_text(model)}")
    old, new = (parity_text(p) for p in model.parity)
    if old != new:
        lines.append(f"    parity: {change_of(old, new)}")
    return lines
