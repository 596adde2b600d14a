"""TF.js artifacts: the in-memory model, weight shards and manifests, reading, publishing.

Names are imported on first use, so that importing ``tfjs_build.artifact.format`` (constants only)
from the fast paths does not import numpy.
"""

from __future__ import annotations

from tfjs_build._lazy import lazy_getattr

_EXPORTS = {
    "DEFAULT_SHARD_SIZE": "tfjs_build.artifact.format",
    "MODEL_JSON": "tfjs_build.artifact.format",
    "Artifact": "tfjs_build.artifact.model",
    "QuantizationPlan": "tfjs_build.artifact.quantize",
    "quantization_plan": "tfjs_build.artifact.quantize",
    "publish_artifact": "tfjs_build.artifact.files",
    "read_artifact": "tfjs_build.artifact.files",
    "read_model_json": "tfjs_build.artifact.files",
    "write_artifact": "tfjs_build.artifact.files",
    "publish_directory": "tfjs_build.artifact.publish",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
