"""``tfjs-build convert``: one model (``SOURCE OUTPUT_DIR``) or every stale model of a project.

With a source and an output directory it converts, verifies and publishes that model with the
options on the command line. Without them it brings the models configured in ``pyproject.toml``
up to date (from the build cache where it can), optionally one ``--shard I/N`` of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfjs_build.artifact.format import DEFAULT_SHARD_SIZE, QUANTIZATION_DTYPES
from tfjs_build.cli import project_convert
from tfjs_build.cli.arguments import (
    add_parity_arguments,
    add_unsafe_deserialization_argument,
    parity_settings,
)
from tfjs_build.convert import FORMAT_CHOICES, ConvertOptions
from tfjs_build.errors import UsageError

if TYPE_CHECKING:
    from tfjs_build.pipeline import BuildResult


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of bytes, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="convert one model, or every stale model of the project",
        description="Convert SOURCE (.keras, .h5, or a SavedModel directory) into a TF.js artifact "
        "in OUTPUT_DIR, replacing any previous artifact there atomically. Without SOURCE and "
        "OUTPUT_DIR, bring every model configured in pyproject.toml [tool.tfjs-build] up to date.",
        epilog=project_convert.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", type=Path, nargs="?", metavar="SOURCE")
    parser.add_argument("output", type=Path, nargs="?", metavar="OUTPUT_DIR")
    parser.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default="auto",
        help="layers model, graph model, or auto: layers when TF.js layers can express "
        "every layer, else graph (default: auto)",
    )
    parser.add_argument(
        "--quantize",
        choices=QUANTIZATION_DTYPES,
        default=None,
        help="store float weights as float16, or affine uint8/uint16",
    )
    parser.add_argument(
        "--quantize-only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="quantize only weights whose names match (shell pattern; repeatable)",
    )
    parser.add_argument(
        "--quantize-skip",
        action="append",
        default=[],
        metavar="PATTERN",
        help="never quantize weights whose names match, e.g. '*/bias' (repeatable)",
    )
    parser.add_argument(
        "--shard-size",
        type=_positive_int,
        default=DEFAULT_SHARD_SIZE,
        metavar="BYTES",
        help=f"weight shard size in bytes (default: {DEFAULT_SHARD_SIZE})",
    )
    parser.add_argument(
        "--signature",
        default="serving_default",
        metavar="NAME",
        help="SavedModel signature to convert (default: serving_default)",
    )
    parser.add_argument(
        "--tags",
        default="serve",
        metavar="TAGS",
        help="comma-separated SavedModel tags (default: serve)",
    )
    parser.add_argument(
        "--no-op-check",
        dest="check_ops",
        action="store_false",
        help="do not fail on ops TF.js cannot execute (graph models)",
    )
    add_unsafe_deserialization_argument(parser)
    parser.add_argument(
        "--no-parity",
        dest="parity",
        action="store_false",
        help="skip the numeric parity check (the result says it was skipped)",
    )
    add_parity_arguments(parser)
    single_model = vars(parser.parse_args([]))  # every single-model option at its default
    del single_model["source"], single_model["output"]
    parser.set_defaults(single_model_defaults=single_model)
    project_convert.add_arguments(parser)


def options_from_args(args: argparse.Namespace) -> ConvertOptions:
    """The conversion options the command line asks for."""
    return ConvertOptions(
        format=args.format,
        quantization=args.quantize,
        quantize_include=tuple(args.quantize_only) or ("*",),
        quantize_exclude=tuple(args.quantize_skip),
        shard_size=args.shard_size,
        signature=args.signature,
        tags=tuple(t for t in args.tags.split(",") if t),
        check_ops=args.check_ops,
        allow_unsafe_deserialization=args.allow_unsafe_deserialization,
    )


def describe(result: BuildResult) -> str:
    """One line for a person: what was built, how big, and how it checked out."""
    from tfjs_build.verification import parity_summary

    summary = parity_summary(result.parity)
    if summary.get("skipped"):
        parity = f"parity SKIPPED ({summary['reason']})"
    else:
        parity = f"parity passed on {'+'.join(summary['backends'])}, max abs error {summary['max_abs_error']:.2g}"
    return (
        f"converted {result.output} ({result.format}: {result.reason}); "
        f"{result.total_bytes:,} bytes in {result.shards} shard(s); {parity}; {result.seconds:.1f}s"
    )


def _single_model_options(args: argparse.Namespace) -> list[str]:
    """The single-model options given a non-default value (meaningless for a project build)."""
    defaults: dict[str, Any] = args.single_model_defaults
    flags = {"check_ops": "--no-op-check", "parity": "--no-parity"}
    return [
        flags.get(dest, "--" + dest.replace("_", "-"))
        for dest, default in defaults.items()
        if getattr(args, dest) != default
    ]


def run(args: argparse.Namespace) -> int:
    """Convert one model, or the project's stale ones; exit 1 with a message when any fails."""
    if args.source is None:
        given = _single_model_options(args)
        if given:
            raise UsageError(
                f"{', '.join(given)} applies to converting one SOURCE; for the project's models "
                "set it in [tool.tfjs-build] in pyproject.toml"
            )
        return project_convert.run(args)
    if args.output is None:
        raise UsageError("give OUTPUT_DIR after SOURCE (or neither, to build the project's models)")
    given = project_convert.given_project_options(args)
    if given:
        raise UsageError(
            f"{', '.join(given)} applies to building the project's models, not one SOURCE"
        )
    return _convert_one(args)


def _convert_one(args: argparse.Namespace) -> int:
    """Convert, check parity and publish SOURCE to OUTPUT_DIR."""
    from tfjs_build.pipeline import build
    from tfjs_build.verification import parity_verifier, skipped_verifier

    options = options_from_args(args)
    if args.parity:
        verify = parity_verifier(parity_settings(args), options)
    else:
        verify = skipped_verifier("--no-parity on the command line")
    result = build(args.source, args.output, options, verify=verify)
    print(describe(result))
    return 0
