"""The diff as a markdown table, for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from tfjs_build.diff.changes import DiffReport, FailKind, ModelDiff
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

_COLUMNS = (
    "Model",
    "Change",
    "Signature",
    "Size",
    "Format",
    "Quantization",
    "Layers / ops",
    "Parity",
)
_WARN = "⚠️ "


def render(report: DiffReport, fail_on: frozenset[FailKind] = frozenset()) -> str:
    """A heading, one table row per changed model and, for ``fail_on`` kinds present, what to
    review; one sentence when no model changed."""
    heading = f"### TF.js models: changes against `{report.base}`"
    if not report.models:
        return f"{heading}\n\nNo model changed.\n"
    lines = [heading, "", _row(_COLUMNS), _row(("---",) * len(_COLUMNS))]
    lines += [_row(_cells(model)) for model in report.models]
    flagged = report.flagged(fail_on)
    if flagged:
        lines.append("")
        for kind in sorted({k for k, _ in flagged}):
            names = ", ".join(f"`{n}`" for k, n in flagged if k == kind)
            lines.append(f"**{_WARN}{_REVIEW[kind]}:** {names}  ")
    return "\n".join(lines) + "\n"


_REVIEW: dict[FailKind, str] = {
    "signature": "signature changed (apps loading these models must change too)",
    "size": "artifact grew",
    "parity": "parity got worse",
}


def _row(cells: tuple[str, ...] | list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cells(model: ModelDiff) -> list[str]:
    before, after = model.before, model.after
    facts = after or before
    status = {"added": "**added**", "removed": "**removed**"}.get(model.status)
    change = status or _escape(cause_text(model))
    signature = "<br>".join(_escape(signature_text(c, "`")) for c in model.signature)
    if model.status == "removed":
        signature = f"{_WARN}model removed"
    elif model.status == "added" and after is not None:
        signature = _escape(tensors_text(after, "`"))
    elif signature:
        signature = _WARN + signature
    formats = change_of(before.format if before else None, after.format if after else None)
    quantization = change_of(
        before.quantization if before else None, after.quantization if after else None
    )
    blocks = blocks_text(model, "`")
    old, new = (parity_text(p) if p else None for p in model.parity)
    grew = "size" in model.flags
    return [
        f"`{_escape(model.name)}`",
        change,
        signature or "unchanged",
        (_WARN if grew else "") + size_text(model),
        formats if facts else "?",
        quantization if facts else "?",
        f"{block_word(model)}: {blocks}"
        if blocks
        else "unchanged"
        if model.status == "changed"
        else "",
        _escape(change_of(old, new)),
    ]
