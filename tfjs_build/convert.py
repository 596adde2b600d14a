"""Pick the converter for a source and format: the one entry point every front door uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, QuantizationDtype
from tfjs_build.errors import TfjsBuildError
from tfjs_build.sources import identify_source

if TYPE_CHECKING:
    from tfjs_build.artifact.model import Artifact
    from tfjs_build.artifact.quantize import QuantizationPlan

FormatChoice = Literal["auto", "layers", "graph"]
FORMAT_CHOICES: tuple[FormatChoice, ...] = ("auto", "layers", "graph")
DEFAULT_BACKENDS = ("cpu", "wasm", "webgl")


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert and write one model."""

    format: FormatChoice = "auto"
    quantization: QuantizationDtype | None = None
    quantize_include: tuple[str, ...] = ("*",)
    quantize_exclude: tuple[str, ...] = ()
    shard_size: int = DEFAULT_SHARD_SIZE
    signature: str = "serving_default"
    tags: tuple[str, ...] = ("serve",)
    target_backends: tuple[str, ...] = DEFAULT_BACKENDS
    check_ops: bool = True
    allow_unsafe_deserialization: bool = False

    def quantization_plan(self) -> QuantizationPlan | None:
        """The weight quantization these options ask for, if any."""
        from tfjs_build.artifact.quantize import quantization_plan

        return quantization_plan(self.quantization, self.quantize_include, self.quantize_exclude)


@dataclass(frozen=True)
class Conversion:
    """A converted model and why it got its format."""

    artifact: Artifact
    format: Literal["layers", "graph"]
    reason: str


def convert_source(source: Path, options: ConvertOptions = ConvertOptions()) -> Conversion:
    """Convert ``source`` (Keras file or SavedModel directory) into an in-memory artifact."""
    kind = identify_source(source)
    if options.format not in FORMAT_CHOICES:
        raise TfjsBuildError(
            f"unknown format {options.format!r}; choose one of {', '.join(FORMAT_CHOICES)}"
        )
    if kind == "saved_model":
        if options.format == "layers":
            raise TfjsBuildError(
                f"{source} is a SavedModel, which converts to a graph model only; use --format graph or auto"
            )
        return Conversion(
            _saved_model_to_graph(source, options),
            "graph",
            "SavedModel sources become graph models",
        )
    if options.format == "layers":
        return Conversion(_keras_to_layers(source), "layers", "layers format requested")
    if options.format == "graph":
        return Conversion(_keras_to_graph(source, options), "graph", "graph format requested")
    from tfjs_build.layers import find_unsupported_layers

    unsupported = find_unsupported_layers(source)
    if not unsupported:
        return Conversion(
            _keras_to_layers(source), "layers", "TF.js layers can express every layer"
        )
    names = ", ".join(f"{u.name} ({u.class_name})" for u in unsupported)
    return Conversion(
        _keras_to_graph(source, options), "graph", f"TF.js layers cannot express {names}"
    )


def _keras_to_layers(source: Path) -> Artifact:
    from tfjs_build.layers import convert_keras_to_layers

    return convert_keras_to_layers(source)


def _keras_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    from tfjs_build.graph import convert_keras_to_graph

    return convert_keras_to_graph(
        source,
        allow_unsafe_deserialization=options.allow_unsafe_deserialization,
        backends=options.target_backends,
        check_ops=options.check_ops,
    )


def _saved_model_to_graph(source: Path, options: ConvertOptions) -> Artifact:
    from tfjs_build.graph import convert_saved_model

    return convert_saved_model(
        source,
        signature=options.signature,
        tags=options.tags,
        backends=options.target_backends,
        check_ops=options.check_ops,
    )
