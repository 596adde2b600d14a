"""The entry points: a SavedModel signature or a Keras model file to a TF.js graph model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tfjs_build.artifact import Artifact
from tfjs_build.graph.freeze import freeze_function
from tfjs_build.graph.pipeline import DEFAULT_BACKENDS, ConversionReport, frozen_to_artifact
from tfjs_build.graph.saved_model import load_signature


def _tensorflow_version() -> str:
    import tensorflow as tf

    return f"TensorFlow {tf.__version__}"


def convert_saved_model(
    path: Path,
    *,
    signature: str = "serving_default",
    tags: Sequence[str] = ("serve",),
    backends: Sequence[str] = DEFAULT_BACKENDS,
    check_ops: bool = True,
    report: ConversionReport | None = None,
) -> Artifact:
    """Convert one signature of the SavedModel at ``path`` into a TF.js graph model.

    Inputs and outputs are named by the signature's keys. ``backends`` are the TF.js backends the
    model must run on: only fusions all of them execute are kept. ``check_ops=False`` writes the
    model even if TF.js lacks some of its ops.
    """
    path = Path(path)
    loaded = load_signature(path, signature, tags)
    frozen = freeze_function(loaded.function, f"{path} (signature {signature!r})")
    return frozen_to_artifact(
        frozen, backends=backends, check_ops=check_ops, generated_by=_tensorflow_version(), report=report
    )
