"""How the parts of a model diff read to a person; shared by the text and markdown renderers."""

from __future__ import annotations

from typing import cast

from tfjs_build.diff.changes import ModelDiff, Parity, Shape, SignatureChange
from tfjs_build.diff.snapshot import ArtifactFacts
from tfjs_build.display import human_bytes


def shape_text(shape: Shape) -> str:
    """``[?, 4]``; ``?`` for an unknown shape."""
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def signature_text(change: SignatureChange, code: str = "") -> str:
    """``output renamed: score -> logit``; ``code`` wraps names (a backtick for markdown)."""

    def q(name: object) -> str:
        return f"{code}{name}{code}"

    side = change.side
    if change.kind == "renamed":
        return f"{side} renamed: {q(change.before)} -> {q(change.after)}"
    if change.kind == "reordered":
        before, after = cast(tuple[str, ...], change.before), cast(tuple[str, ...], change.after)
        return f"{side}s reordered: {', '.join(map(q, before))} -> {', '.join(map(q, after))}"
    if change.kind in ("added", "removed"):
        return f"{side} {change.kind}: {q(change.name)}"
    if change.kind == "shape":
        before_shape, after_shape = cast(Shape, change.before), cast(Shape, change.after)
        return f"{side} {q(change.name)} shape: {shape_text(before_shape)} -> {shape_text(after_shape)}"
    return f"{side} {q(change.name)} dtype: {change.before} -> {change.after}"


def size_text(diff: ModelDiff) -> str:
    """``12.3 kB -> 13.0 kB (+5.7%), 1 -> 2 shards``, or one side's size."""
    before, after = diff.before, diff.after
    if before is None or after is None:
        known = before or after
        return _size(known) if known else "no artifact"
    change = ""
    if before.size != after.size and before.size:
        change = f" ({(after.size - before.size) / before.size:+.1%})"
    shards = (
        f"{before.shards} -> {after.shards} shards"
        if before.shards != after.shards
        else f"{after.shards} shard{'s' if after.shards != 1 else ''}"
    )
    return f"{human_bytes(before.size)} -> {human_bytes(after.size)}{change}, {shards}"


def _size(facts: ArtifactFacts) -> str:
    return f"{human_bytes(facts.size)}, {facts.shards} shard{'s' if facts.shards != 1 else ''}"


def parity_text(parity: Parity | None) -> str:
    """``cpu, wasm: max error 6.0e-08``, ``cpu: FAILED, max error 0.3`` or ``skipped`` (the
    reason is in the JSON)."""
    if parity is None:
        return "none"
    if not parity.checked:
        return "skipped"
    verdict = "max error" if parity.passed else "FAILED, max error"
    return f"{', '.join(parity.backends)}: {verdict} {parity.max_abs_error:.1e}"


def change_of(before: str | None, after: str | None) -> str:
    """``old -> new``, or the one value when it did not change."""
    if before == after or before is None or after is None:
        return str(after if after is not None else before)
    return f"{before} -> {after}"


def cause_text(diff: ModelDiff) -> str:
    """``source changed``, ``source unchanged; options: quantization (none -> uint8)``,
    ``added``."""
    if diff.status != "changed":
        return diff.status
    if not diff.causes:
        return "rebuilt from the same source and options"
    words = [f"{c} changed" if ":" not in c else c for c in diff.causes]
    return "; ".join(["source unchanged", *words] if diff.only_options else words)


def blocks_text(diff: ModelDiff, code: str = "") -> str:
    """``+ Dropout, - BatchNormalization`` (layer classes or ops)."""
    added = [f"+ {code}{b}{code}" for b in diff.blocks_added]
    removed = [f"- {code}{b}{code}" for b in diff.blocks_removed]
    return ", ".join(added + removed)


def block_word(diff: ModelDiff) -> str:
    """``ops`` for a graph model, ``layers`` for a layers model."""
    facts = diff.after or diff.before
    return "ops" if facts and facts.format == "graph-model" else "layers"


def tensors_text(facts: ArtifactFacts, code: str = "") -> str:
    """``inputs features [?, 4]; outputs probs, score`` (layers models record no output shapes)."""
    inputs = ", ".join(f"{code}{t.name}{code} {shape_text(t.shape)}" for t in facts.inputs)
    outputs = ", ".join(
        f"{code}{t.name}{code}" + (f" {shape_text(t.shape)}" if t.shape is not None else "")
        for t in facts.outputs
    )
    return f"inputs {inputs or 'none'}; outputs {outputs or 'none'}"
