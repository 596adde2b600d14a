"""Size budgets: an artifact's download size (``model.json`` and shards) against ``max_size``.

Standard library only: ``check`` and cache restores judge budgets without numpy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import MODEL_JSON, SIDE_FILES
from tfjs_build.artifact.manifest import STORED_ITEM_BYTES
from tfjs_build.display import human_bytes
from tfjs_build.errors import OverBudgetError
from tfjs_build.options import Origin, spell

LARGEST_SHOWN = 3


def artifact_bytes(directory: Path) -> int:
    """What an app downloads of the artifact in ``directory``: every file but the side files
    (``parity.json``, the parity probe)."""
    return sum(
        p.stat().st_size
        for p in Path(directory).iterdir()
        if p.is_file() and p.name not in SIDE_FILES
    )


def largest_weights(document: dict[str, Any], count: int = LARGEST_SHOWN) -> list[tuple[str, int]]:
    """The ``count`` largest weights of a ``model.json`` as stored (quantized or not), with bytes."""
    sizes = []
    for group in document.get("weightsManifest") or []:
        for weight in group.get("weights") or []:
            dtype = (weight.get("quantization") or {}).get("dtype") or weight.get("dtype")
            item = STORED_ITEM_BYTES.get(str(dtype))
            shape = weight.get("shape")
            if item is not None and isinstance(shape, list):
                sizes.append((str(weight.get("name")), math.prod(shape) * item))
    return sorted(sizes, key=lambda pair: (-pair[1], pair[0]))[:count]


def over_budget(directory: Path, max_size: int | None) -> int | None:
    """The artifact's size when it exceeds ``max_size`` (``None``: within it, or no budget)."""
    if max_size is None or not (Path(directory) / MODEL_JSON).is_file():
        return None
    size = artifact_bytes(directory)
    return size if size > max_size else None


def budget_message(directory: Path, size: int, max_size: int, origin: Origin) -> str:
    """``the artifact is 6.1 MB, over its budget ...; largest weights ...; what to do``."""
    try:
        document = json.loads((Path(directory) / MODEL_JSON).read_text(encoding="utf-8"))
        largest = largest_weights(document)
    except (OSError, ValueError, AttributeError, TypeError):
        largest = []
    weights = ", ".join(f"{name} {human_bytes(n)}" for name, n in largest) or "none"
    return (
        f"the artifact is {human_bytes(size)} ({size} bytes), over its budget of "
        f"{human_bytes(max_size)} ({spell('max_size', max_size, origin)}); largest weights: "
        f"{weights}; quantize them ({spell('quantization', 'uint8', origin)}) or raise max_size"
    )


def check_budget(directory: Path, max_size: int | None, origin: Origin, name: str) -> None:
    """Raise :class:`OverBudgetError` when the artifact in ``directory`` (to be published as
    ``name``) exceeds ``max_size``."""
    size = over_budget(directory, max_size)
    if size is not None and max_size is not None:
        raise OverBudgetError(f"{name}: {budget_message(directory, size, max_size, origin)}")
