"""Keras model files: a Keras 3 ``.keras`` zip archive, or an HDF5 ``.h5``/``.hdf5`` file
(Keras 3 or Keras 2), told apart by content."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.sources.kind import FileKind, ModelFormat, ReferenceRequest
from tfjs_build.sources.sniff import H5_SUFFIXES, keras_file_kind

if TYPE_CHECKING:
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.source_summary import SourceSummary


class KerasFile(FileKind):
    """A Keras model file: layers model by default, graph model when TF.js layers cannot."""

    formats: tuple[ModelFormat, ...] = ("layers", "graph")

    def __init__(self, name: str, label: str, suffixes: tuple[str, ...], content: str) -> None:
        self.name, self.label, self.suffixes = name, label, suffixes
        self.recognised_by = f"a {' or '.join(f'`{s}`' for s in suffixes)} file holding {content}"

    def recognise(self, path: Path) -> bool:
        """A file named ``.keras`` holding a zip archive, or ``.h5``/``.hdf5`` holding HDF5."""
        if path.is_dir() or path.suffix.lower() not in self.suffixes:
            return False
        if self.name == "keras":
            if not zipfile.is_zipfile(path):
                raise SourceError(
                    f"{path} is not a zip archive, so it is not a Keras 3 .keras file (corrupt or truncated?)"
                )
            return True
        try:
            kind = keras_file_kind(path)
        except SourceError:
            kind = None
        if kind != "h5":
            raise SourceError(f"{path} is not an HDF5 file (corrupt or truncated?)")
        return True

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """The format asked for, or under ``auto`` layers when TF.js layers express it."""
        from tfjs_build.convert import keras_plan

        return keras_plan(path, options)

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """Layers (read without TensorFlow) or a graph traced in the Keras that wrote it."""
        from tfjs_build.convert import keras_conversion, keras_to_graph

        return keras_conversion(path, options, keras_to_graph)

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The model loaded in the Keras that wrote it (Lambda code only with the opt-in)."""
        from tfjs_build.parity.reference import keras_reference

        return keras_reference(request)

    def compute_dtype(self, path: Path) -> str | None:
        """The dtype policy its layers compute in."""
        from tfjs_build.graph.keras_model import read_keras_config
        from tfjs_build.parity.precision import keras_compute_dtype

        return keras_compute_dtype(read_keras_config(path)[1])

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """Its layers, read without TensorFlow, and what ``auto`` would build."""
        from tfjs_build.source_summary import summarize_keras

        return summarize_keras(path, self.label)


KERAS_ARCHIVE = KerasFile("keras", "Keras .keras archive", (".keras",), "a zip archive (Keras 3)")
KERAS_HDF5 = KerasFile("h5", "Keras HDF5 file", H5_SUFFIXES, "HDF5 (Keras 3 or Keras 2)")
