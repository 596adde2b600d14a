"""Keras SavedModels: a SavedModel directory Keras 2 (tf_keras) wrote, with ``keras_metadata.pb``.

The Keras model it records converts like a Keras file (a layers model when TF.js layers express
every layer), its config read from ``keras_metadata.pb`` and its weights from the checkpoint,
nothing of it run; a graph model comes from its serving signature, as for any SavedModel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.sources.kind import FileKind, ModelFormat, ReferenceRequest
from tfjs_build.sources.saved_model import is_saved_model_directory

if TYPE_CHECKING:
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.source_summary import SourceSummary

KERAS_METADATA_PB = "keras_metadata.pb"


class KerasSavedModelKind(FileKind):
    """A Keras SavedModel: layers or graph, like a Keras file."""

    name = "keras_saved_model"
    label = "Keras SavedModel"
    recognised_by = "a SavedModel directory that also holds `keras_metadata.pb` (tf_keras, Keras 2)"
    formats: tuple[ModelFormat, ...] = ("layers", "graph")

    def recognise(self, path: Path) -> bool:
        """A SavedModel directory that also holds ``keras_metadata.pb``."""
        return is_saved_model_directory(path) and (path / KERAS_METADATA_PB).is_file()

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """The format asked for, or under ``auto`` layers when TF.js layers express it."""
        from tfjs_build.convert import keras_plan

        return keras_plan(path, options)

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """The Keras model as a layers model, or the serving signature as a graph model."""
        from tfjs_build.convert import keras_conversion, saved_model_to_graph

        return keras_conversion(path, options, saved_model_to_graph)

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The model tf_keras loads back (a layers artifact) or the signature (a graph one)."""
        from tfjs_build.parity.reference import keras_saved_model_reference

        return keras_saved_model_reference(request)

    def compute_dtype(self, path: Path) -> str | None:
        """The dtype policy its layers compute in, from the Keras metadata."""
        from tfjs_build.layers.keras_metadata import read_keras_metadata
        from tfjs_build.parity.precision import keras_compute_dtype

        return keras_compute_dtype(read_keras_metadata(path).model_config)

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """Its Keras layers and what ``auto`` would build, like a Keras file."""
        from tfjs_build.source_summary import summarize_keras

        return summarize_keras(path, self.label)


KERAS_SAVED_MODEL = KerasSavedModelKind()
