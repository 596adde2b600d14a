"""TensorFlow SavedModel directories (``saved_model.pb``): one signature becomes a graph model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.sources.kind import FileKind, ModelFormat, ReferenceRequest

if TYPE_CHECKING:
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.source_summary import SourceSummary

SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def is_saved_model_directory(path: Path) -> bool:
    """A directory holding ``saved_model.pb`` (or its text form)."""
    return path.is_dir() and any((path / name).is_file() for name in SAVED_MODEL_FILES)


class SavedModelKind(FileKind):
    """A SavedModel: the signature named by ``signature`` (tagged ``tags``) to a graph model."""

    name = "saved_model"
    label = "TensorFlow SavedModel"
    recognised_by = "a directory holding `saved_model.pb` (and no `keras_metadata.pb`)"
    formats: tuple[ModelFormat, ...] = ("graph",)

    def recognise(self, path: Path) -> bool:
        """A directory with ``saved_model.pb``."""
        return is_saved_model_directory(path)

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """Always a graph model."""
        from tfjs_build.convert import SAVED_MODEL_REASON

        return "graph", SAVED_MODEL_REASON

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """Its signature frozen and optimized for TF.js."""
        from tfjs_build.convert import SAVED_MODEL_REASON, Conversion, saved_model_to_graph

        return Conversion(saved_model_to_graph(path, options), "graph", SAVED_MODEL_REASON)

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The signature the artifact was made from, run in TensorFlow."""
        from tfjs_build.parity.reference import signature_reference

        return signature_reference(request)

    def compute_dtype(self, path: Path) -> str | None:
        """16-bit when any node of its graphs computes in float16 or bfloat16."""
        from tfjs_build.parity.precision import saved_model_compute_dtype

        return saved_model_compute_dtype(path)

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """Its signatures, and the ops and weights of the graph model it converts to."""
        from tfjs_build.source_summary import summarize_saved_model

        return summarize_saved_model(path, self.label, origin)


SAVED_MODEL = SavedModelKind()
