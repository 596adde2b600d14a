"""``tfjs-build verify ARTIFACT_DIR --source MODEL``: check any artifact against its source."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tfjs_build.cli.option_flags import add_model_flags, model_options_from_args


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="check an existing TF.js artifact against its source model in real TF.js",
        description="Run ARTIFACT_DIR in TF.js and MODEL in TensorFlow on the same inputs and compare "
        "every output. Works on artifacts made by any converter.",
    )
    parser.add_argument("artifact", type=Path, metavar="ARTIFACT_DIR")
    parser.add_argument(
        "--source",
        type=Path,
        required=True,
        metavar="MODEL",
        help="the .keras/.h5 file or SavedModel directory the artifact was made from",
    )
    parser.add_argument("--json", action="store_true", help="print the parity record as JSON")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="find where the outputs first diverge on every backend, also when parity passes "
        "(--parity-explain always)",
    )
    add_model_flags(parser, "verify")


def run(args: argparse.Namespace) -> int:
    """Print the comparison; exit 0 when every output matches, 1 otherwise."""
    from tfjs_build.verification import verify_artifact

    options, parity = model_options_from_args(args)
    report = verify_artifact(
        args.artifact,
        args.source,
        options,
        parity,
        explain="always" if args.explain else parity.parity_explain,
    )
    if args.json:
        print(json.dumps(report.record, indent=2, sort_keys=True))
    else:
        print(report.summary())
        print(f"parity {'PASSED' if report.passed else 'FAILED'} for {args.artifact}")
    return 0 if report.passed else 1
