"""Convert a source: the one entry point every front door uses; its kind (the registry's) picks
the converter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfjs_build.errors import TfjsBuildError
from tfjs_build.options import FORMAT_CHOICES, ConvertOptions, spell
from tfjs_build.sources.registry import source_kind

if TYPE_CHECKING:
    from tfjs_build.artifact.model import Artifact
    from tfjs_build.layers.unsupported import UnsupportedLayer
    from tfjs_build.sources.kind import SourceKind

SAVED_MODEL_REASON = "SavedModel sources become graph models"


@dataclass(frozen=True)
class Conversion:
    """A converted model and why it got its format."""

    artifact: Artifact
    format: Literal["layers", "graph"]
    reason: str


def convert_source(source: Path, options: ConvertOptions | None = None) -> Conversion:
    """Convert ``source`` (any kind the registry knows) into an in-memory artifact."""
    options = options or ConvertOptions()
    source = Path(source)
    kind = _checked_kind(source, options)
    return kind.convert(source, options)


def planned_format(source: Path, options: ConvertOptions) -> tuple[Literal["layers", "graph"], str]:
    """The format ``convert_source`` builds from ``source``, and why, decided without converting
    (``auto`` reads a Keras model's config, not its weights)."""
    source = Path(source)
    return _checked_kind(source, options).plan(source, options)


def _checked_kind(source: Path, options: ConvertOptions) -> SourceKind:
    """``source``'s kind, once ``options.format`` is known to be one it converts to."""
    kind = source_kind(source)
    if options.format not in FORMAT_CHOICES:
        raise TfjsBuildError(
            f"unknown format {options.format!r}; choose one of {', '.join(FORMAT_CHOICES)}"
        )
    if options.format != "auto" and options.format not in kind.formats:
        only = " or ".join(kind.formats)
        raise TfjsBuildError(
            f"{source} is a {kind.label}, which converts to a {only} model only; use "
            f"{spell('format', kind.formats[0], options.origin)} or "
            f"{spell('format', 'auto', options.origin)}"
        )
    return kind


def keras_plan(source: Path, options: ConvertOptions) -> tuple[Literal["layers", "graph"], str]:
    """What a Keras model (file or SavedModel) becomes: the format asked for, or under ``auto``
    layers when TF.js layers express every layer (its config is read, not its weights)."""
    if options.format == "layers":
        return "layers", "layers format requested"
    if options.format == "graph":
        return "graph", "graph format requested"
    from tfjs_build.layers.convert import find_unsupported_layers

    return auto_choice(find_unsupported_layers(source, options.tfjs_version))


def keras_conversion(
    source: Path, options: ConvertOptions, to_graph: Callable[[Path, ConvertOptions], Artifact]
) -> Conversion:
    """A Keras model (file or SavedModel) as the layers model or, through ``to_graph``, the graph
    model :func:`keras_plan` picks."""
    chosen, reason = keras_plan(source, options)
    if chosen == "layers":
        return Conversion(keras_to_layers(source, options), chosen, reason)
    return Conversion(to_graph(source, options), chosen, reason)


def auto_choice(
    unsupported: Sequence[UnsupportedLayer],
) -> tuple[Literal["layers", "graph"], str]:
    """What ``format = "auto"`` builds from a Keras model whose layers TF.js layers cannot
    express are ``unsupported``, and why (the reason ``convert`` reports)."""
    if not unsupported:
        return "layers", "TF.js layers can express every layer"
    names = ", ".join(f"{u.name} ({u.class_name})" for u in unsupported)
    return "graph", f"TF.js layers cannot express {names}"


def keras_to_layers(source: Path, options: ConvertOptions) -> Artifact:
    """The layers model of a Keras file or Keras SavedModel (no TensorFlow for a file)."""
    from tfjs_build.layers.convert import convert_keras_to_layers

    return convert_keras_to_layers(source, origin=options.origin, tfjs_version=options.tfjs_version)


def keras_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    """The graph model of a Keras file, loaded and traced in its own Keras."""
    from tfjs_build.graph.convert import convert_keras_to_graph

    return convert_keras_to_graph(
        source,
        allow_unsafe_deserialization=options.allow_unsafe_deserialization,
        imports=options.imports,
        project_root=options.project_root,
        backends=options.target_backends,
        check_ops=options.check_ops,
        origin=options.origin,
        tfjs_version=options.tfjs_version,
    )


def saved_model_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    """The graph model of one SavedModel signature."""
    from tfjs_build.graph.convert import convert_saved_model

    return convert_saved_model(
        source,
        signature=options.signature,
        tags=options.tags,
        backends=options.target_backends,
        check_ops=options.check_ops,
        origin=options.origin,
        tfjs_version=options.tfjs_version,
    )
