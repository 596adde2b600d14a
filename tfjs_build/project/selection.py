"""Which configured models a command works on: named ones, or one shard of all of them."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from tfjs_build.errors import UsageError
from tfjs_build.project.config import ModelSpec


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"2/4"`` to ``Shard(2, 4)``; ValueError with the rule when it is malformed."""
    head, slash, tail = text.partition("/")
    try:
        index, count = int(head), int(tail)
    except ValueError:
        index = count = 0
    if not slash or count < 1 or not 1 <= index <= count:
        raise ValueError(f"expected I/N with 1 <= I <= N, such as 1/2, got {text!r}")
    return Shard(index, count)


def in_shard(models: Sequence[ModelSpec], shard: Shard) -> list[ModelSpec]:
    """Shard ``shard`` of ``models``: sorted by name and dealt round-robin.

    Deterministic for a given configuration, so N jobs given 1/N ... N/N build every model exactly
    once, and the jobs get sizes that differ by at most one model.
    """
    ordered = sorted(models, key=lambda spec: spec.name)
    return [spec for i, spec in enumerate(ordered) if i % shard.count == shard.index - 1]


def select_models(
    models: Sequence[ModelSpec], names: Sequence[str] = (), shard: Shard | None = None
) -> list[ModelSpec]:
    """The models called ``names`` (all when empty), then only those in ``shard``, in config order."""
    by_name = {spec.name: spec for spec in models}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(by_name), n=1)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else f"; configured: {', '.join(by_name) or 'none'}"
        )
        raise UsageError(f"no model named {unknown[0]!r}{hint}")
    chosen = [spec for spec in models if not names or spec.name in names]
    if shard is not None:
        keep = {spec.name for spec in in_shard(chosen, shard)}
        chosen = [spec for spec in chosen if spec.name in keep]
    return chosen
