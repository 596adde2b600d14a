"""TF.js models as sources: a ``model.json`` (or the directory holding it) and its weight files,
as TF.js's own ``model.save`` or a converter wrote them. Re-written with the requested
quantization and shard size; a layers model may also become a graph model (through Keras)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfjs_build.artifact.checks import shard_file_problem
from tfjs_build.artifact.format import GRAPH_FORMAT, LAYERS_FORMAT, MODEL_JSON, artifact_format
from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.project.fingerprint import HashCache, json_fingerprint
from tfjs_build.sources.kind import FileKind, ModelFormat, ReferenceRequest

if TYPE_CHECKING:
    from tfjs_build.artifact.model import Artifact
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.source_summary import SourceSummary

REFERENCE_BACKEND = "cpu"
"""The TF.js backend that runs the source artifact for parity."""


def model_json_of(path: Path) -> Path | None:
    """The ``model.json`` a source path means: the file itself, or the one in the directory."""
    if path.is_dir():
        return path / MODEL_JSON if (path / MODEL_JSON).is_file() else None
    return path if path.name == MODEL_JSON else None


def _document(model_json: Path) -> dict[str, Any]:
    try:
        document = json.loads(model_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SourceError(f"{model_json} is not a readable TF.js model.json ({exc})") from None
    if not isinstance(document, dict) or "modelTopology" not in document:
        raise SourceError(f"{model_json} has no modelTopology, so it is not a TF.js model")
    return document


def _weight_files(model_json: Path, document: dict[str, Any]) -> list[str]:
    groups = document.get("weightsManifest") or []
    return [p for g in groups if isinstance(g, dict) for p in g.get("paths", []) or []]


def read_source_artifact(model_json: Path) -> Artifact:
    """The TF.js model's topology and (dequantized) weights; a weight file it lists that is not
    beside it is one error naming both."""
    from tfjs_build.artifact.files import read_artifact

    directory = model_json.parent
    for relative in _weight_files(model_json, _document(model_json)):
        problem = shard_file_problem(directory, str(relative))
        if problem == "is missing":
            raise SourceError(
                f"{model_json}: its weights {relative!r} are missing; copy the weight files "
                f"model.json lists into {directory}"
            )
        if problem:
            raise SourceError(f"{model_json}: weight file {str(relative)!r:.200} {problem}")
    return read_artifact(directory)


class TfjsModelKind(FileKind):
    """A TF.js model of one format (``layers-model`` or ``graph-model``)."""

    def __init__(self, artifact: str, name: str, label: str, formats: tuple[ModelFormat, ...]):
        self.artifact, self.name, self.label, self.formats = artifact, name, label, formats
        self.recognised_by = f"a TF.js `model.json` of a {artifact}, or the directory holding it"

    def recognise(self, path: Path) -> bool:
        """A ``model.json`` (or a directory with one) whose format is this kind's."""
        model_json = model_json_of(path)
        return model_json is not None and artifact_format(_document(model_json)) == self.artifact

    def fingerprint(self, path: Path, hashes: HashCache, options: ConvertOptions) -> str:
        """``model.json`` and the weight files it lists (other files beside it do not count)."""
        model_json = model_json_of(path)
        assert model_json is not None
        files = {MODEL_JSON: hashes.file_hash(model_json)}
        for relative in _weight_files(model_json, _document(model_json)):
            target = model_json.parent / str(relative)
            missing = shard_file_problem(model_json.parent, str(relative)) is not None
            files[str(relative)] = "missing" if missing else hashes.file_hash(target)
        return json_fingerprint(files)

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """Re-written as it is (then quantized and sharded as asked), or a layers model turned
        into a graph model through Keras."""
        from tfjs_build import __version__
        from tfjs_build.convert import Conversion

        model_json = model_json_of(path)
        assert model_json is not None
        artifact = read_source_artifact(model_json)
        fmt, reason = self.plan(path, options)
        if fmt == "graph" and self.artifact == LAYERS_FORMAT:
            from tfjs_build.graph.tfjs_layers import layers_artifact_to_graph

            return Conversion(layers_artifact_to_graph(artifact, model_json, options), fmt, reason)
        artifact.converted_by = f"tfjs-build {__version__}"
        return Conversion(artifact, fmt, reason)

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """Its own format, unless a layers model is asked to become a graph model."""
        if options.format == "graph" and self.artifact == LAYERS_FORMAT:
            return "graph", "graph format requested"
        fmt: ModelFormat = "layers" if self.artifact == LAYERS_FORMAT else "graph"
        return fmt, f"a TF.js {fmt} model stays a {fmt} model"

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The source artifact itself, run in TF.js (cpu)."""
        from tfjs_build.parity.reference import tfjs_reference

        model_json = model_json_of(request.source)
        assert model_json is not None
        return tfjs_reference(request, model_json.parent, REFERENCE_BACKEND)

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """What ``inspect`` shows for any TF.js artifact."""
        from tfjs_build.source_summary import summarize_tfjs_model

        model_json = model_json_of(path)
        assert model_json is not None
        return summarize_tfjs_model(model_json, self.label)


TFJS_LAYERS = TfjsModelKind(
    LAYERS_FORMAT, "tfjs_layers_model", "TF.js layers model", ("layers", "graph")
)
TFJS_GRAPH = TfjsModelKind(GRAPH_FORMAT, "tfjs_graph_model", "TF.js graph model", ("graph",))
