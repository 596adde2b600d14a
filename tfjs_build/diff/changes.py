"""The diff of one model between two snapshots, as a typed record the renderers share.

What counts as each ``--fail-on`` kind is decided here, once:

- ``signature``: an input or output was renamed, added, removed, reordered, or changed shape or
  dtype; the format changed (the app loads it with another function); or the model was removed.
- ``size``: the artifact (``model.json`` and shards) grew by more than 1 % (renaming an output
  changes ``model.json`` by a few bytes: not worth a second look).
- ``parity``: the largest error grew, a backend is no longer checked, or parity now fails or is
  skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tfjs_build.artifact.topology import TensorDescription
from tfjs_build.diff.snapshot import ArtifactFacts, ModelSnapshot
from tfjs_build.parity.record import ParitySummary

FailKind = Literal["signature", "size", "parity"]
FAIL_KINDS: tuple[FailKind, ...] = ("signature", "size", "parity")
Status = Literal["added", "removed", "changed"]
Side = Literal["input", "output"]
SignatureKind = Literal["renamed", "reordered", "added", "removed", "shape", "dtype"]
Shape = tuple[int | None, ...] | None
SIZE_GROWTH = 0.01
"""Growth beyond this fraction of the base's size counts as a ``size`` change."""


@dataclass(frozen=True)
class SignatureChange:
    """One change of the inputs or outputs: ``before``/``after`` are names (renamed), name
    lists (reordered), shapes or dtypes."""

    side: Side
    kind: SignatureKind
    name: str
    before: str | Shape | tuple[str, ...] = None
    after: str | Shape | tuple[str, ...] = None


@dataclass(frozen=True)
class Parity:
    """A lockfile's parity summary, in the terms a reviewer compares."""

    checked: bool
    passed: bool
    backends: tuple[str, ...] = ()
    max_abs_error: float | None = None
    skipped_reason: str | None = None


@dataclass(frozen=True)
class ModelDiff:
    """How one model differs between the base and the working tree (``None``: no such side)."""

    name: str
    status: Status
    before: ArtifactFacts | None
    after: ArtifactFacts | None
    parity: tuple[Parity | None, Parity | None]
    signature: tuple[SignatureChange, ...] = ()
    blocks_added: tuple[str, ...] = ()
    blocks_removed: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    """Why it was rebuilt: ``source``, ``custom code``, ``options: KEY (OLD -> NEW)``,
    ``versions: NAME OLD -> NEW``."""
    flags: frozenset[FailKind] = field(default_factory=frozenset)

    @property
    def only_options(self) -> bool:
        """The source (and custom code) did not change: only options or versions did."""
        return self.status == "changed" and not any(
            c in ("source", "custom code") for c in self.causes
        )


def parity_of(summary: ParitySummary) -> Parity:
    """The parity summary of a lockfile entry as a record."""
    if "skipped" in summary:
        return Parity(checked=False, passed=False, skipped_reason=str(summary.get("reason")))
    return Parity(
        checked=True,
        passed=bool(summary["passed"]),
        backends=tuple(summary["backends"]),
        max_abs_error=float(summary["max_abs_error"]),
    )


def diff_projects(
    base: Mapping[str, ModelSnapshot], head: Mapping[str, ModelSnapshot]
) -> list[ModelDiff]:
    """The diff of every model that was added, removed or changed, by name."""
    diffs = []
    for name in sorted(set(base) | set(head)):
        diff = diff_model(base.get(name), head.get(name))
        if diff is not None:
            diffs.append(diff)
    return diffs


def diff_model(base: ModelSnapshot | None, head: ModelSnapshot | None) -> ModelDiff | None:
    """The diff of one model, or ``None`` when nothing a reviewer sees changed."""
    if base is None and head is None:
        return None
    if base is None or head is None:
        snapshot = head or base
        assert snapshot is not None
        record = parity_of(snapshot.entry["parity"])
        return ModelDiff(
            snapshot.name,
            "added" if head else "removed",
            None if head else snapshot.artifact,
            snapshot.artifact if head else None,
            (None, record) if head else (record, None),
            flags=frozenset() if head else frozenset({"signature"}),
        )
    if base.entry == head.entry and base.artifact == head.artifact:
        return None
    before, after = base.artifact, head.artifact
    parity = (parity_of(base.entry["parity"]), parity_of(head.entry["parity"]))
    signature = signature_changes(before, after) if before and after else ()
    blocks_before = before.blocks if before else frozenset()
    blocks_after = after.blocks if after else frozenset()
    # layer classes and ops are not comparable: a format switch is reported as that alone
    both = before is not None and after is not None and before.format == after.format
    return ModelDiff(
        head.name,
        "changed",
        before,
        after,
        parity,
        signature=signature,
        blocks_added=tuple(sorted(blocks_after - blocks_before)) if both else (),
        blocks_removed=tuple(sorted(blocks_before - blocks_after)) if both else (),
        causes=_causes(base, head),
        flags=_flags(before, after, signature, parity),
    )


def signature_changes(before: ArtifactFacts, after: ArtifactFacts) -> tuple[SignatureChange, ...]:
    """How the inputs, then the outputs, changed (names, order, shapes, dtypes)."""
    return _side_changes("input", before.inputs, after.inputs) + _side_changes(
        "output", before.outputs, after.outputs
    )


def _side_changes(
    side: Side, old: tuple[TensorDescription, ...], new: tuple[TensorDescription, ...]
) -> tuple[SignatureChange, ...]:
    old_names, new_names = [t.name for t in old], [t.name for t in new]
    changes: list[SignatureChange] = []
    pairs = {t.name: (t, t2) for t in old for t2 in new if t.name == t2.name}
    for position, tensor in enumerate(old):
        if tensor.name in new_names or position >= len(new):
            continue
        replacement = new[position]
        if replacement.name not in old_names:  # the same place, a new name: a rename
            changes.append(
                SignatureChange(side, "renamed", tensor.name, tensor.name, replacement.name)
            )
            pairs[replacement.name] = (tensor, replacement)
    renamed = {c.before for c in changes} | {c.after for c in changes}
    changes += [
        SignatureChange(side, "removed", n)
        for n in old_names
        if n not in new_names and n not in renamed
    ]
    changes += [
        SignatureChange(side, "added", n)
        for n in new_names
        if n not in old_names and n not in renamed
    ]
    kept_old = [n for n in old_names if n in new_names]
    kept_new = [n for n in new_names if n in old_names]
    if kept_old != kept_new:
        changes.append(SignatureChange(side, "reordered", "", tuple(old_names), tuple(new_names)))
    for name, (was, now) in pairs.items():
        if was.shape != now.shape:
            changes.append(SignatureChange(side, "shape", name, was.shape, now.shape))
        if was.dtype != now.dtype:
            changes.append(SignatureChange(side, "dtype", name, was.dtype, now.dtype))
    return tuple(changes)


def _causes(base: ModelSnapshot, head: ModelSnapshot) -> tuple[str, ...]:
    old, new = base.entry, head.entry
    causes = []
    if old["source_fingerprint"] != new["source_fingerprint"] or old["source"] != new["source"]:
        causes.append("source")
    if old.get("code") != new.get("code"):
        causes.append("custom code")
    for key in sorted(set(old["options"]) | set(new["options"])):
        was, now = old["options"].get(key), new["options"].get(key)
        if was != now:
            causes.append(f"options: {key} ({_value(was)} -> {_value(now)})")
    for key in sorted(set(old["versions"]) | set(new["versions"])):
        was, now = old["versions"].get(key), new["versions"].get(key)
        if was != now:
            causes.append(f"versions: {key} {was or 'none'} -> {now or 'none'}")
    return tuple(causes)


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _flags(
    before: ArtifactFacts | None,
    after: ArtifactFacts | None,
    signature: tuple[SignatureChange, ...],
    parity: tuple[Parity, Parity],
) -> frozenset[FailKind]:
    flags: set[FailKind] = set()
    if signature or (before and after and before.format != after.format):
        flags.add("signature")
    if before and after and after.size > before.size * (1 + SIZE_GROWTH):
        flags.add("size")
    if parity_worse(*parity):
        flags.add("parity")
    return frozenset(flags)


def parity_worse(before: Parity, after: Parity) -> bool:
    """The check got weaker or the errors larger (see the module docstring)."""
    if not before.checked:
        return after.checked and not after.passed
    if not after.checked or (before.passed and not after.passed):
        return True
    if set(before.backends) - set(after.backends):
        return True
    return (after.max_abs_error or 0.0) > (before.max_abs_error or 0.0)


@dataclass(frozen=True)
class DiffReport:
    """Every model that changed between ``base`` (a git ref) and ``head`` (the working tree)."""

    base: str
    head: str
    models: tuple[ModelDiff, ...]

    def flagged(self, kinds: frozenset[FailKind]) -> list[tuple[FailKind, str]]:
        """``(kind, model)`` for each change of one of ``kinds``."""
        return [(k, m.name) for m in self.models for k in FAIL_KINDS if k in kinds & m.flags]
