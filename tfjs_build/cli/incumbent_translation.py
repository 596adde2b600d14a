"""tensorflowjs_converter 4.22's command line, read as tfjs-build options.

Each incumbent flag either maps to a tfjs-build option or, where tfjs-build does not reproduce
what it does, is refused naming what to use instead; none is ignored. Standard library only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.errors import UsageError
from tfjs_build.options import FormatChoice
from tfjs_build.sources import identify_source

INCUMBENT = "tensorflowjs_converter 4.22"
GRAPH_INPUTS = ("tf_saved_model", "tf_hub")
"""Incumbent input formats that take --signature_name."""


@dataclass(frozen=True)
class InputFormat:
    """An incumbent ``--input_format``: the sources it takes and the formats it converts to."""

    what: str
    source_kinds: tuple[str, ...]
    """The tfjs-build source kinds (``identify_source``) it takes."""
    outputs: dict[str, FormatChoice]
    """Incumbent ``--output_format`` values it takes, the first the default, as tfjs-build's."""


_TO_LAYERS: dict[str, FormatChoice] = {"tfjs_layers_model": "layers", "tfjs_graph_model": "graph"}
_TO_GRAPH: dict[str, FormatChoice] = {"tfjs_graph_model": "graph"}
_SAVED_MODELS = ("saved_model", "keras_saved_model")

INPUT_FORMATS: dict[str, InputFormat] = {
    "keras": InputFormat("a Keras HDF5 model file (.h5)", ("h5",), _TO_LAYERS),
    "keras_keras": InputFormat("a Keras 3 .keras file", ("keras",), _TO_LAYERS),
    "keras_saved_model": InputFormat(
        "a tf_keras SavedModel directory", ("keras_saved_model",), {"tfjs_layers_model": "layers"}
    ),
    "tf_saved_model": InputFormat("a SavedModel directory", _SAVED_MODELS, _TO_GRAPH),
    "tf_hub": InputFormat("a TF Hub model's SavedModel directory", _SAVED_MODELS, _TO_GRAPH),
    "tf_frozen_model": InputFormat("a frozen graph (.pb)", ("frozen_graph",), _TO_GRAPH),
    "tfjs_layers_model": InputFormat(
        "a TF.js layers model (model.json)",
        ("tfjs_layers_model",),
        {**_TO_LAYERS, "keras": "layers", "keras_keras": "layers"},
    ),
}

PYTHON_OUTPUTS = ("keras", "keras_saved_model", "keras_keras")
KERAS_OUTPUT_SUFFIXES = {"keras": ".h5", "keras_keras": ".keras"}
"""The file a TF.js layers model becomes for each Keras ``--output_format``."""


@dataclass
class Translation:
    """An incumbent command line as tfjs-build sees it."""

    source: Path
    output: Path
    values: dict[str, Any] = field(default_factory=dict)
    parity: bool = True


def _incumbent_bool(value: str | None, default: bool) -> bool:
    """What the incumbent's ``type=bool`` flags read: any non-empty text is true (even "False")."""
    return default if value is None else bool(value)


def translate(args: argparse.Namespace) -> Translation:
    """The tfjs-build source, output and option values an incumbent command line asks for."""
    if not args.input_path or not args.output_path:
        raise UsageError(
            "give the input path and the output directory, as tensorflowjs_converter takes them"
        )
    fmt = _input_format(args)
    output_format = _output_format(args, fmt)
    source = Path(args.input_path)
    found = identify_source(source)
    if found not in fmt.source_kinds:
        raise UsageError(
            f"--input_format={args.input_format} takes {fmt.what}, and {source} is not one; "
            f"{_suggest_input_format(found)}"
        )
    values: dict[str, Any] = {"format": fmt.outputs[output_format], "structured_outputs": False}
    values.update(_source_options(args, fmt))
    values.update(_quantization(args))
    values.update(_artifact_options(args))
    values.update(_graph_options(args, output_format))
    return Translation(source, Path(args.output_path), values, parity=not args.skip_parity)


def _input_format(args: argparse.Namespace) -> InputFormat:
    fmt = INPUT_FORMATS[args.input_format]
    if args.input_format == "tf_hub" and "://" in str(args.input_path):
        raise UsageError(
            f"{args.input_path}: tfjs-build does not download models; download the model (on "
            "tfhub.dev or Kaggle Models, the SavedModel archive) and unpack it, then give that "
            "directory with --input_format=tf_hub"
        )
    return fmt


def _output_format(args: argparse.Namespace, fmt: InputFormat) -> str:
    chosen: str = args.output_format or next(iter(fmt.outputs))
    if chosen in KERAS_OUTPUT_SUFFIXES and chosen in fmt.outputs:
        suffix = KERAS_OUTPUT_SUFFIXES[chosen]
        if Path(args.output_path).suffix.lower() != suffix:
            raise UsageError(
                f"--output_format={chosen} writes a Keras file: give an output path ending in "
                f"{suffix} ({args.output_path} does not)"
            )
        return chosen
    if chosen in PYTHON_OUTPUTS:
        raise UsageError(
            f"--output_format={chosen}: tfjs-build writes Keras files (.h5 with "
            "--output_format=keras, .keras with keras_keras) from TF.js layers models only; keep "
            "the Keras model you convert from"
        )
    if chosen not in fmt.outputs:
        raise UsageError(
            f"--input_format={args.input_format} converts to {' or '.join(fmt.outputs)}, "
            f"not --output_format={chosen}"
        )
    return chosen


def _suggest_input_format(found: str) -> str:
    fitting = [name for name, f in INPUT_FORMATS.items() if found in f.source_kinds]
    return f"it fits --input_format={fitting[0]}" if fitting else "check the path"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _source_options(args: argparse.Namespace, fmt: InputFormat) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.signature_name is not None:
        if args.input_format not in GRAPH_INPUTS:
            raise UsageError(
                "--signature_name applies to --input_format=tf_saved_model and tf_hub only"
            )
        values["signature"] = args.signature_name
    if "saved_model" in fmt.source_kinds:
        values["tags"] = _split(args.saved_model_tags)
    if args.output_node_names is not None:
        if args.input_format != "tf_frozen_model":
            raise UsageError("--output_node_names applies to --input_format=tf_frozen_model only")
        values["output_nodes"] = _split(args.output_node_names)
    elif args.input_format == "tf_frozen_model":
        raise UsageError("--input_format=tf_frozen_model needs --output_node_names")
    return values


_QUANTIZE_FLAGS = {
    "float16": "quantize_float16",
    "uint8": "quantize_uint8",
    "uint16": "quantize_uint16",
}


def _quantization(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        d: getattr(args, f) for d, f in _QUANTIZE_FLAGS.items() if getattr(args, f) is not None
    }
    if args.quantization_bytes is not None:
        if given:
            raise UsageError(
                "--quantization_bytes cannot be used with --quantize_float16, --quantize_uint8 or "
                "--quantize_uint16 (use those: --quantization_bytes is deprecated)"
            )
        return {"quantization": {1: "uint8", 2: "uint16"}[args.quantization_bytes]}
    if not given:
        return {}
    # a flag without patterns takes the weights no other pattern matches: "*" is the least
    # specific pattern, so it does the same
    table = {d: (["*"] if v is True else _split(v) or ["*"]) for d, v in given.items()}
    if len(table) == 1 and next(iter(table.values())) == ["*"]:
        return {"quantization": next(iter(table))}
    return {"quantization": table}


def _artifact_options(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.split_weights_by_layer:
        values["split_weights_by_layer"] = True
    if args.weight_shard_size_bytes is not None:
        if args.weight_shard_size_bytes < 1:
            raise UsageError(
                f"--weight_shard_size_bytes={args.weight_shard_size_bytes}: expected a positive "
                "number of bytes"
            )
        values["shard_size"] = args.weight_shard_size_bytes
    if args.metadata:
        values["metadata"] = dict(_metadata_entry(item) for item in _split(args.metadata))
    return values


def _metadata_entry(item: str) -> tuple[str, str]:
    name, colon, path = item.partition(":")
    if not colon or not name or not path:
        raise UsageError(
            f"--metadata: {item!r} is not NAME:PATH (such as labels:/path/labels.json)"
        )
    return name, path


def _graph_options(args: argparse.Namespace, output_format: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.skip_op_check:
        values["check_ops"] = False
    if not _incumbent_bool(args.strip_debug_ops, True):
        raise UsageError(
            "--strip_debug_ops with an empty value keeps debug ops; tfjs-build always strips "
            "Print, Assert and CheckNumerics (TF.js does not run them); leave the flag out"
        )
    if args.control_flow_v2 is not None:
        if output_format != "tfjs_graph_model":
            raise UsageError("--control_flow_v2 applies to --output_format=tfjs_graph_model only")
        if not _incumbent_bool(args.control_flow_v2, False):
            raise UsageError(
                "--control_flow_v2 with an empty value asks for v1 control flow; tfjs-build keeps "
                "v2 control flow (While, If), which TF.js runs; leave the flag out"
            )
    if _incumbent_bool(args.experiments, False):
        raise UsageError(
            "--experiments: tfjs-build has no experimental conversion features; leave the flag "
            "out (`tfjs-build convert --help` lists what it does)"
        )
    if args.use_structured_outputs_names is not None:
        values["structured_outputs"] = _incumbent_bool(args.use_structured_outputs_names, False)
    return values
