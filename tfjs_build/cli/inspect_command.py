"""``tfjs-build inspect PATH``: describe a TF.js artifact, or a model source before converting it."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfjs_build.artifact.summary import ArtifactSummary, WeightDescription
    from tfjs_build.artifact.topology import TensorDescription
    from tfjs_build.source_summary import SourceSummary


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="describe a TF.js artifact (format, inputs/outputs, layers or ops, weights, shards) "
        "or a model source (layers, signatures, what auto would build and why)",
        description="Describe any TF.js artifact directory, this project's or another converter's; "
        "or a Keras file or SavedModel directory: its layers or signatures, inputs and outputs, "
        "what --format auto would build and why, and what TF.js cannot express. Keras files are "
        "read without TensorFlow; a SavedModel is converted in memory to find the ops TF.js "
        "cannot run.",
    )
    parser.add_argument(
        "artifact",
        type=Path,
        metavar="PATH",
        help="a TF.js artifact directory, a Keras .keras/.h5 file or a SavedModel directory",
    )
    parser.add_argument("--json", action="store_true", help="print the description as JSON")
    parser.add_argument(
        "--weights",
        action="store_true",
        help="list every weight's name (what --quantize-only/--quantize-skip patterns match), "
        "shape and dtype",
    )


def _shape(shape: tuple[int | None, ...] | None) -> str:
    return (
        "?"
        if shape is None
        else "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"
    )


def _tensor(t: TensorDescription) -> str:
    return f"{t.name} {_shape(t.shape)} {t.dtype}"


def _weight(w: WeightDescription) -> str:
    quantized = f" (quantized {w.quantization})" if w.quantization else ""
    return f"  weight:       {w.name} {_shape(w.shape)} {w.dtype}{quantized}"


def _counts(counter: Any) -> str:
    return ", ".join(
        f"{name} x{count}"
        for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def format_summary(summary: ArtifactSummary, *, weights: bool = False) -> str:
    """The human-readable description of an artifact (``weights``: one line per weight)."""
    lines = [f"{summary.path}: {summary.format}"]
    if summary.converted_by or summary.generated_by:
        lines.append(
            f"  made by:      {summary.converted_by or '?'} from {summary.generated_by or '?'}"
        )
    lines += [f"  input:        {_tensor(t)}" for t in summary.inputs]
    lines += [f"  output:       {_tensor(t)}" for t in summary.outputs]
    if summary.layers:
        lines.append(f"  layers:       {sum(summary.layers.values())} ({_counts(summary.layers)})")
    if summary.ops:
        lines.append(f"  nodes:        {sum(summary.ops.values())} ({_counts(summary.ops)})")
    lines.append(f"  weights:      {summary.weights} tensors, {summary.parameters:,} values")
    if weights:
        lines += [_weight(w) for w in summary.weight_list]
    lines.append(f"  quantization: {_counts(summary.quantization) or 'none'}")
    if summary.auto_plan:
        lines.append(f"  chosen by:    {summary.auto_plan}")
    lines.append(f"  shards:       {len(summary.shards)} files, {summary.shard_bytes:,} bytes")
    if summary.proven_in:
        lines.append(f"  parity in:    TF.js {summary.proven_in} (parity.json)")
    lines += [f"  PROBLEM:      {problem}" for problem in summary.problems]
    return "\n".join(lines)


def format_source_summary(summary: SourceSummary, *, weights: bool = False) -> str:
    """The human-readable description of a Keras file or SavedModel."""
    lines = [f"{summary.path}: {summary.kind}"]
    lines.append(f"  made by:      {summary.made_by}")
    if summary.model:
        lines.append(f"  model:        {summary.model}")
    lines += [f"  signature:    {signature}" for signature in summary.signatures]
    lines += [f"  input:        {_tensor(t)}" for t in summary.inputs]
    lines += [f"  output:       {_tensor(t)}" for t in summary.outputs]
    if summary.layers:
        lines.append(f"  layers:       {sum(summary.layers.values())} ({_counts(summary.layers)})")
    lines.append(f"  auto format:  {summary.auto_format} ({summary.auto_reason})")
    lines += [f"  {summary.cannot_express_label}: {item}" for item in summary.cannot_express]
    listing = summary.weight_list
    if listing is not None:
        values = sum(math.prod(w.shape) for w in listing)
        lines.append(f"  weights:      {len(listing)} tensors, {values:,} values")
        if weights:
            lines += [_weight(w) for w in listing]
    elif weights:
        lines.append(f"  weights:      {summary.weights_note}")
    return "\n".join(lines)


def _is_source(path: Path) -> bool:
    """A Keras file or a SavedModel directory (anything else is read as an artifact)."""
    if path.is_file():
        return True
    return (
        path.is_dir()
        and not (path / "model.json").exists()
        and ((path / "saved_model.pb").exists() or (path / "saved_model.pbtxt").exists())
    )


def run(args: argparse.Namespace) -> int:
    """Print the description; exit 1 when an artifact is inconsistent."""
    if _is_source(args.artifact):
        from tfjs_build.source_summary import summarize_source

        source = summarize_source(args.artifact, origin="cli")
        if args.json:
            print(json.dumps(source.to_json(weights=args.weights), indent=2))
        else:
            print(format_source_summary(source, weights=args.weights))
        return 0
    from tfjs_build.artifact.summary import summarize_artifact

    summary = summarize_artifact(args.artifact)
    if args.json:
        print(json.dumps(summary.to_json(weights=args.weights), indent=2))
    else:
        print(format_summary(summary, weights=args.weights))
    return 1 if summary.problems else 0
