"""``tfjs-build convert``: one model (``SOURCE OUTPUT_DIR``) or every stale model of a project.

With a source and an output directory it converts, verifies and publishes that model with the
options on the command line. Without them it brings the models configured in ``pyproject.toml``
up to date (from the build cache where it can), optionally one ``--shard I/N`` of them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tfjs_build.cli import project_convert
from tfjs_build.cli.option_flags import add_model_flags, given, model_options_from_args
from tfjs_build.errors import UsageError
from tfjs_build.options import MODEL_OPTIONS, OPTIONS, ConvertOptions, ParityOptions
from tfjs_build.tool_dir import rejected_build_path


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="convert one model, or every stale model of the project",
        description="Convert SOURCE (.keras, .h5, a SavedModel directory, a frozen graph .pb or a "
        "TF.js model.json) into a TF.js artifact in OUTPUT_DIR, replacing any previous artifact "
        "there atomically (an OUTPUT_DIR ending in .keras or .h5 writes a TF.js layers model back "
        "to a Keras 3 file). Without SOURCE and "
        "OUTPUT_DIR, bring every model configured in pyproject.toml [tool.tfjs-build] up to date.",
        epilog=project_convert.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        type=Path,
        nargs="?",
        metavar="SOURCE",
        help="a Keras .keras/.h5 file, a SavedModel directory, a frozen graph .pb/.pbtxt or a "
        "TF.js model.json (omit it for a project build)",
    )
    parser.add_argument(
        "output",
        type=Path,
        nargs="?",
        metavar="OUTPUT_DIR",
        help="the artifact directory to write (model.json, shards, parity.json), or a .keras/.h5 "
        "file for a TF.js layers model",
    )
    add_model_flags(parser, "convert")
    project_convert.add_arguments(parser)
    parser.add_argument(  # after the project flags: not one of them
        "--depfile",
        type=Path,
        metavar="FILE",
        help="also write a Make/Ninja depfile: OUTPUT_DIR/model.json depends on every file of "
        "SOURCE and of the --import modules (for a project build, set depfile_dir)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be built, from what, why and where, and write nothing (no "
        "artifact, lockfile or cache)",
    )


def run(args: argparse.Namespace) -> int:
    """Convert one model, or the project's stale ones; exit 1 with a message when any fails."""
    if args.source is None:
        if args.depfile is not None:
            raise UsageError(
                "--depfile applies to converting one SOURCE; for the project's models set "
                "depfile_dir in [tool.tfjs-build] (or give --depfile-dir DIR)"
            )
        model_flags = [OPTIONS[key].flag for key in given(args, MODEL_OPTIONS)]
        if model_flags:
            raise UsageError(
                f"{', '.join(model_flags)} applies to converting one SOURCE; for the project's "
                "models set it in [tool.tfjs-build] in pyproject.toml"
            )
        return project_convert.dry_run(args) if args.dry_run else project_convert.run(args)
    if args.output is None:
        raise UsageError("give OUTPUT_DIR after SOURCE (or neither, to build the project's models)")
    project_flags = project_convert.given_project_flags(args)
    if project_flags:
        raise UsageError(
            f"{', '.join(project_flags)} applies to building the project's models, not one SOURCE"
        )
    return _dry_run_one(args) if args.dry_run else _convert_one(args)


def _dry_run_one(args: argparse.Namespace) -> int:
    """Say what converting SOURCE to OUTPUT_DIR would build, reading the source's config only."""
    from tfjs_build.artifact.user_metadata import read_metadata_files
    from tfjs_build.convert import planned_format
    from tfjs_build.text_reporter import planned_conversion_line

    options, parity = model_options_from_args(args)
    options.quantization_plan()  # a contradiction in the options fails here, as in a build
    read_metadata_files(options.metadata, Path.cwd(), options.origin)
    chosen, reason = planned_format(args.source, options)
    quantization = OPTIONS["quantization"].kind.to_text(options.quantization)
    checked = "+".join(parity.parity_backends) if parity.parity else "off"
    settings = f"quantization {quantization}, shard size {options.shard_size}, parity {checked}"
    print(planned_conversion_line(args.source, args.output, chosen, reason, settings))
    print("tfjs-build: dry run: nothing was written")
    return 0


def _convert_one(args: argparse.Namespace) -> int:
    """Convert, check parity and publish SOURCE to OUTPUT_DIR."""
    options, parity = model_options_from_args(args)
    code = convert_and_report(
        args.source, args.output, options, parity, "--no-parity on the command line"
    )
    if args.depfile is not None:
        _write_depfile(args, options.imports, parity.parity_samples)
    return code


def convert_and_report(
    source: Path,
    output: Path,
    options: ConvertOptions,
    parity: ParityOptions,
    skipped_because: str,
) -> int:
    """Convert ``source``, check parity (unless it is off: ``skipped_because``), publish it to
    ``output`` and print the line that says so, warnings first."""
    from tfjs_build.parity.record import parity_summary
    from tfjs_build.pipeline import build
    from tfjs_build.text_reporter import conversion_line
    from tfjs_build.verification import parity_verifier, skipped_verifier

    verify = (
        parity_verifier(parity, options) if parity.parity else skipped_verifier(skipped_because)
    )
    rejected = rejected_build_path(Path.cwd(), Path(output).resolve().name)
    result = build(source, output, options, verify=verify, rejected=rejected)
    for warning in result.warnings:
        print(f"tfjs-build: warning: {warning}", file=sys.stderr)
    print(
        conversion_line(
            result.output,
            result.format,
            result.reason,
            result.total_bytes,
            result.shards,
            parity_summary(result.parity),
            result.seconds,
            result.quantization_plan.summary() if result.quantization_plan else None,
        )
    )
    return 0


def _write_depfile(
    args: argparse.Namespace, imports: tuple[str, ...], samples: Path | None
) -> None:
    """``--depfile``: paths as given, relative to the working directory (where Make runs)."""
    from tfjs_build.artifact.format import MODEL_JSON
    from tfjs_build.depfile import model_inputs, relative_to, write_depfile

    here = Path.cwd()
    extra = [samples] if samples is not None else []
    inputs = model_inputs(Path(args.source), imports=imports, root=here, extra=extra)
    target = (Path(args.output) / MODEL_JSON).as_posix()
    write_depfile(args.depfile, target, [relative_to(p, here) for p in inputs])
