"""TF.js artifacts: the in-memory model, weight shards and manifests, reading, publishing."""

from __future__ import annotations

from tfjs_build.artifact.files import read_artifact, read_model_json, write_artifact
from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, MODEL_JSON
from tfjs_build.artifact.model import Artifact
from tfjs_build.artifact.quantize import QuantizationPlan, quantization_plan

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "MODEL_JSON",
    "Artifact",
    "QuantizationPlan",
    "quantization_plan",
    "read_artifact",
    "read_model_json",
    "write_artifact",
]
