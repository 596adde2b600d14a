"""Pick the converter for a source and format: the one entry point every front door uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfjs_build.errors import TfjsBuildError
from tfjs_build.options import FORMAT_CHOICES, ConvertOptions, spell
from tfjs_build.sources import identify_source

if TYPE_CHECKING:
    from tfjs_build.artifact.model import Artifact
    from tfjs_build.layers.unsupported import UnsupportedLayer

SAVED_MODEL_REASON = "SavedModel sources become graph models"


@dataclass(frozen=True)
class Conversion:
    """A converted model and why it got its format."""

    artifact: Artifact
    format: Literal["layers", "graph"]
    reason: str


def convert_source(source: Path, options: ConvertOptions | None = None) -> Conversion:
    """Convert ``source`` (Keras file or SavedModel directory) into an in-memory artifact."""
    options = options or ConvertOptions()
    kind = identify_source(source)
    if options.format not in FORMAT_CHOICES:
        raise TfjsBuildError(
            f"unknown format {options.format!r}; choose one of {', '.join(FORMAT_CHOICES)}"
        )
    if kind == "saved_model":
        if options.format == "layers":
            raise TfjsBuildError(
                f"{source} is a SavedModel, which converts to a graph model only; use "
                f"{spell('format', 'graph', options.origin)} or {spell('format', 'auto', options.origin)}"
            )
        return Conversion(_saved_model_to_graph(source, options), "graph", SAVED_MODEL_REASON)
    if options.format == "layers":
        return Conversion(_keras_to_layers(source, options), "layers", "layers format requested")
    if options.format == "graph":
        return Conversion(_keras_to_graph(source, options), "graph", "graph format requested")
    from tfjs_build.layers.convert import find_unsupported_layers

    chosen, reason = auto_choice(find_unsupported_layers(source, options.tfjs_version))
    build = _keras_to_layers if chosen == "layers" else _keras_to_graph
    return Conversion(build(source, options), chosen, reason)


def auto_choice(
    unsupported: Sequence[UnsupportedLayer],
) -> tuple[Literal["layers", "graph"], str]:
    """What ``format = "auto"`` builds from a Keras model whose layers TF.js layers cannot
    express are ``unsupported``, and why (the reason ``convert`` reports)."""
    if not unsupported:
        return "layers", "TF.js layers can express every layer"
    names = ", ".join(f"{u.name} ({u.class_name})" for u in unsupported)
    return "graph", f"TF.js layers cannot express {names}"


def _keras_to_layers(source: Path, options: ConvertOptions) -> Artifact:
    from tfjs_build.layers.convert import convert_keras_to_layers

    return convert_keras_to_layers(source, origin=options.origin, tfjs_version=options.tfjs_version)


def _keras_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    from tfjs_build.graph.convert import convert_keras_to_graph

    return convert_keras_to_graph(
        source,
        allow_unsafe_deserialization=options.allow_unsafe_deserialization,
        imports=options.imports,
        project_root=options.project_root,
        backends=options.target_backends,
        check_ops=options.check_ops,
        origin=options.origin,
    )


def _saved_model_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    from tfjs_build.graph.convert import convert_saved_model

    return convert_saved_model(
        source,
        signature=options.signature,
        tags=options.tags,
        backends=options.target_backends,
        check_ops=options.check_ops,
        origin=options.origin,
    )
