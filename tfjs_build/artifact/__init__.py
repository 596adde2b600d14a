"""TF.js artifacts: the in-memory model, weight shards and manifests, reading, publishing."""

from __future__ import annotations

from tfjs_build.artifact.files import (
    publish_artifact,
    read_artifact,
    read_model_json,
    write_artifact,
)
from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, MODEL_JSON
from tfjs_build.artifact.model import Artifact
from tfjs_build.artifact.publish import publish_directory, rejected_path
from tfjs_build.artifact.quantize import QuantizationPlan, quantization_plan

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "MODEL_JSON",
    "Artifact",
    "QuantizationPlan",
    "publish_artifact",
    "publish_directory",
    "quantization_plan",
    "read_artifact",
    "read_model_json",
    "rejected_path",
    "write_artifact",
]
