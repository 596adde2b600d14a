"""``tfjs-build inspect ARTIFACT_DIR``: describe any TF.js artifact."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfjs_build.artifact.summary import ArtifactSummary, TensorDescription


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="describe a TF.js artifact (format, inputs/outputs, layers or ops, weights, shards)",
        description="Describe any TF.js artifact directory, this project's or another converter's.",
    )
    parser.add_argument("artifact", type=Path, metavar="ARTIFACT_DIR")
    parser.add_argument("--json", action="store_true", help="print the description as JSON")


def _tensor(t: TensorDescription) -> str:
    shape = (
        "?"
        if t.shape is None
        else "[" + ", ".join("None" if d is None else str(d) for d in t.shape) + "]"
    )
    return f"{t.name} {shape} {t.dtype}"


def _counts(counter: Any) -> str:
    return ", ".join(
        f"{name} x{count}"
        for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def format_summary(summary: ArtifactSummary) -> str:
    """The human-readable description."""
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
    lines.append(f"  quantization: {_counts(summary.quantization) or 'none'}")
    lines.append(f"  shards:       {len(summary.shards)} files, {summary.shard_bytes:,} bytes")
    lines += [f"  PROBLEM:      {problem}" for problem in summary.problems]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the description; exit 1 when the artifact is inconsistent."""
    from tfjs_build.artifact.summary import summarize_artifact

    summary = summarize_artifact(args.artifact)
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    else:
        print(format_summary(summary))
    return 1 if summary.problems else 0
