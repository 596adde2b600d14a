"""One side of a diff: each model's lockfile entry and what its artifact declares, as records."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tfjs_build.artifact.checks import check_document
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.artifact.topology import TensorDescription, describe_topology
from tfjs_build.diff.tree import Tree
from tfjs_build.errors import ArtifactError
from tfjs_build.malformed import malformed_json
from tfjs_build.project.lockfile import LockEntry, parse_lockfile


@dataclass(frozen=True)
class ArtifactFacts:
    """What a reviewer needs to know of one artifact (``model.json`` and its shards)."""

    format: str
    inputs: tuple[TensorDescription, ...]
    outputs: tuple[TensorDescription, ...]
    blocks: frozenset[str]
    """Layer classes (layers model) or ops (graph model)."""
    quantization: str
    """``none``, ``uint8``, ... or, when only some weights are, ``uint8 (3 of 4 weights)``."""
    size: int
    """Bytes an app downloads: ``model.json`` and the shards."""
    shards: int


@dataclass(frozen=True)
class ModelSnapshot:
    """A model as one side records it; ``artifact`` is ``None`` when its files are not there
    (an artifact kept only in the build cache, not committed)."""

    name: str
    entry: LockEntry
    artifact: ArtifactFacts | None


def read_snapshots(tree: Tree, lockfile: str) -> dict[str, ModelSnapshot]:
    """Every model the lockfile at ``lockfile`` (project-relative) records in ``tree``."""
    text = tree.read(lockfile)
    where = f"{tree.label}:{lockfile}"
    document = parse_lockfile(Path(where), None if text is None else _text(text, where))
    return {
        name: ModelSnapshot(name, entry, read_artifact(tree, entry["output"]))
        for name, entry in document["models"].items()
    }


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArtifactError(f"{where} is not UTF-8 text; is it a tfjs-build file?") from None


def read_artifact(tree: Tree, output: str) -> ArtifactFacts | None:
    """The facts of the artifact in directory ``output``, or ``None`` when it has no model.json
    or lies outside the project (a lockfile is not trusted to name other files to read)."""
    parts = PurePosixPath(output).parts
    if not parts or PurePosixPath(output).is_absolute() or ".." in parts:
        return None
    path = f"{output}/{MODEL_JSON}"
    data = tree.read(path)
    if data is None:
        return None
    where = f"{tree.label}:{path}"
    try:
        document = check_document(json.loads(_text(data, where)), Path(where))
    except (ValueError, RecursionError) as exc:
        raise ArtifactError(f"{where} is not valid JSON ({exc}); rebuild the artifact") from None
    with malformed_json(ArtifactError, where, "is it a TF.js model.json? Rebuild the artifact"):
        topology = describe_topology(document)
    sizes = tree.sizes(output)
    shard_paths = [p for group in document.get("weightsManifest") or [] for p in group["paths"]]
    return ArtifactFacts(
        format=topology.format,
        inputs=tuple(topology.inputs),
        outputs=tuple(topology.outputs),
        blocks=frozenset(topology.ops or topology.layers),
        quantization=_quantization(document),
        size=len(data) + sum(sizes.get(p, 0) for p in shard_paths),
        shards=len(shard_paths),
    )


def _quantization(document: dict[str, Any]) -> str:
    dtypes = Counter(
        (weight.get("quantization") or {}).get("dtype") or "none"
        for group in document.get("weightsManifest") or []
        for weight in group["weights"]
    )
    if not dtypes:
        return "none"
    if len(dtypes) == 1:
        return str(next(iter(dtypes)))
    total = sum(dtypes.values())
    quantized = sorted((d, n) for d, n in dtypes.items() if d != "none")
    return ", ".join(f"{d} ({n} of {total} weights)" for d, n in quantized)
