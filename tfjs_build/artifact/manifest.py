"""What a ``model.json``'s weights manifest promises about the shard files: standard library only,
so the build cache can check an entry without numpy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

STORED_ITEM_BYTES: dict[str, int] = {
    "float32": 4,
    "int32": 4,
    "bool": 1,
    "float16": 2,
    "uint8": 1,
    "uint16": 2,
}
"""Bytes per stored value of each dtype a weight can be stored as (quantized or not)."""


def _entry_bytes(entry: Any) -> int | None:
    """Bytes a manifest entry occupies, or None when not fixed by its shape (strings) or unknown."""
    if not isinstance(entry, Mapping):
        return None
    quantization = entry.get("quantization")
    dtype = quantization.get("dtype") if isinstance(quantization, Mapping) else entry.get("dtype")
    shape = entry.get("shape")
    if dtype not in STORED_ITEM_BYTES or not isinstance(shape, list):
        return None
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        return None
    return math.prod(shape) * STORED_ITEM_BYTES[dtype]


def manifest_problems(document: Any, sizes: Mapping[str, int]) -> list[str]:
    """How the shard files (``sizes``: name -> bytes) disagree with the manifest of ``document``
    (a parsed ``model.json``): a listed shard missing, or a group whose shards do not add up to
    its weights. Empty when they agree."""
    if not isinstance(document, Mapping) or not isinstance(document.get("weightsManifest"), list):
        return ["model.json has no weightsManifest list"]
    problems = []
    for index, group in enumerate(document["weightsManifest"]):
        paths = group.get("paths") if isinstance(group, Mapping) else None
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            problems.append(f"weights group {index} has no list of shard paths")
            continue
        missing = [p for p in paths if p not in sizes]
        if missing:
            problems.append(f"shard {missing[0]} is missing")
            continue
        weights = group.get("weights")
        needed = [_entry_bytes(w) for w in weights] if isinstance(weights, list) else [None]
        if None in needed:
            continue  # strings or an unknown dtype: their size is not fixed by the shape
        have = sum(sizes[p] for p in paths)
        want = sum(n for n in needed if n is not None)
        if have != want:
            problems.append(f"weights group {index} needs {want} bytes, its shards hold {have}")
    return problems
