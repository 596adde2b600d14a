"""Write an ``Artifact`` into a directory as ``model.json`` plus shards, and read one back."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfjs_build.artifact.checks import check_document
from tfjs_build.artifact.format import (
    DEFAULT_SHARD_SIZE,
    GRAPH_FORMAT,
    LAYERS_FORMAT,
    MODEL_JSON,
    ModelJson,
    artifact_format,
)
from tfjs_build.artifact.model import Artifact
from tfjs_build.artifact.publish import publish_directory
from tfjs_build.artifact.quantization_rules import WeightQuantizer
from tfjs_build.artifact.weights import read_weights, write_weights
from tfjs_build.errors import ArtifactError

_KNOWN_KEYS = {
    "format",
    "generatedBy",
    "convertedBy",
    "modelTopology",
    "weightsManifest",
    "signature",
    "userDefinedMetadata",
}


def _write_json(path: Path, document: Any) -> None:
    try:
        text = json.dumps(document, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as exc:
        raise ArtifactError(
            f"{path}: the model description holds NaN or infinity, which JSON cannot carry ({exc})"
        ) from None
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def write_artifact(
    artifact: Artifact,
    directory: Path,
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    quantization: WeightQuantizer | None = None,
    group_of: Callable[[str], str] | None = None,
) -> ModelJson:
    """Write ``artifact`` into ``directory`` (missing or empty) and return its ``model.json``;
    ``group_of`` names each weight's weight group (default: one group).

    To replace an existing artifact, use ``publish_artifact``, which writes beside it and swaps.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise ArtifactError(
            f"{directory} is not empty; write into a new directory or replace it with publish_artifact"
        )
    if artifact.format not in (LAYERS_FORMAT, GRAPH_FORMAT):
        raise ArtifactError(f"unknown artifact format {artifact.format!r}")
    manifest = write_weights(
        artifact.weights,
        directory,
        shard_size=shard_size,
        quantization=quantization,
        group_of=group_of,
    )
    document: dict[str, Any] = {"format": artifact.format}
    optional = {
        "generatedBy": artifact.generated_by,
        "convertedBy": artifact.converted_by,
        # A GraphDef's maps (node attrs, the function library) come out of protobuf in an order
        # that varies from run to run; sorting makes identical models byte-identical.
        "modelTopology": _sorted_keys(artifact.topology)
        if artifact.format == GRAPH_FORMAT
        else artifact.topology,
        "weightsManifest": manifest,
        "signature": artifact.signature,
        "userDefinedMetadata": artifact.user_metadata,
    }
    document.update((key, value) for key, value in optional.items() if value is not None)
    document.update((key, _sorted_keys(value)) for key, value in artifact.extra.items())
    _write_json(directory / MODEL_JSON, document)
    return document  # type: ignore[return-value]


def read_model_json(directory: Path) -> dict[str, Any]:
    """Parse and check ``directory/model.json`` (see :mod:`tfjs_build.artifact.checks`), with clear
    errors for a missing, broken or ill-typed file."""
    path = Path(directory) / MODEL_JSON
    if path.exists() and not path.is_file():
        raise ArtifactError(f"{path} is not a regular file; is {directory} a TF.js artifact?")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{path} does not exist; is {directory} a TF.js artifact directory?"
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: invalid JSON, or an integer too long to convert; RecursionError: too deep
        raise ArtifactError(f"{path} is not valid JSON ({exc}); rebuild the artifact") from None
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return check_document(document, path)


def read_artifact(directory: Path) -> Artifact:
    """Read any TF.js artifact (this project's or another converter's) with dequantized weights."""
    directory = Path(directory)
    document = read_model_json(directory)
    manifest = document.get("weightsManifest") or []
    return Artifact(
        format=artifact_format(document),
        topology=document["modelTopology"],
        weights=read_weights(directory, manifest),
        signature=document.get("signature"),
        generated_by=document.get("generatedBy"),
        converted_by=document.get("convertedBy"),
        user_metadata=document.get("userDefinedMetadata"),
        extra={k: v for k, v in document.items() if k not in _KNOWN_KEYS},
    )


def publish_artifact(
    artifact: Artifact,
    output: Path,
    *,
    shard_size: int = DEFAULT_SHARD_SIZE,
    quantization: WeightQuantizer | None = None,
    verify: Callable[[Path], None] | None = None,
    rejected: Path | None = None,
) -> ModelJson:
    """Write ``artifact`` beside ``output`` and swap it in atomically (after ``verify``, if given;
    a build it rejects is kept in ``rejected``, if given)."""
    return publish_directory(
        Path(output),
        lambda staging: write_artifact(
            artifact, staging, shard_size=shard_size, quantization=quantization
        ),
        verify=verify,
        rejected=rejected,
    )
