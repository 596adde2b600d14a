"""TF.js artifacts: the in-memory model, weight shards and manifests, reading, publishing."""

from __future__ import annotations

from tfjs_build.artifact.model import Artifact

__all__ = ["Artifact"]
