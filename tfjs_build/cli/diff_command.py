"""``tfjs-build diff``: what changed in each model's artifact since a git ref (no TensorFlow, no
numpy): signature, size, format, quantization, layers or ops, parity, and why it was rebuilt.

Exit codes: 0 no change of a ``--fail-on`` kind (or none asked for); 1 such a change is present;
2 bad usage (an unknown ref, not a git repository), an invalid configuration or lockfile.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tfjs_build.cli.arguments import add_project_argument, project_config
from tfjs_build.cli.option_flags import add_project_flags
from tfjs_build.diff.changes import FAIL_KINDS, FailKind
from tfjs_build.diff.compare import compare
from tfjs_build.diff.formats import RENDERERS
from tfjs_build.errors import UsageError

DIFF_CLEAN = 0
DIFF_FLAGGED = 1

EPILOG = """--fail-on kinds:
  signature  an input or output renamed, added, removed, reordered, or of another shape or
             dtype; the format changed; or a model was removed
  size       an artifact (model.json and shards) grew by more than 1 %
  parity     the largest error grew, a backend is no longer checked, or parity fails or is skipped

exit codes:
  0  no change of a --fail-on kind
  1  a change of a --fail-on kind (each is listed on stderr)
  2  bad usage (an unknown --base, not a git repository), an invalid configuration or lockfile"""


def _fail_kinds(text: str) -> frozenset[FailKind]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in FAIL_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown kind {unknown[0]!r}; expected a comma-separated list of {', '.join(FAIL_KINDS)}"
        )
    return frozenset(k for k in FAIL_KINDS if k in kinds)


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="show how each model's artifact changed since a git ref (for review; no TensorFlow)",
        description="Compare each model's artifact and lockfile entry at a git ref (read with "
        "git, no checkout) with the working tree. Changed, added and removed models are listed; "
        "unchanged ones are not.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_argument(parser)
    add_project_flags(parser, "diff")
    parser.add_argument(
        "--base",
        default="HEAD",
        metavar="REF",
        help="the commit, branch or tag to compare with (default: HEAD)",
    )
    parser.add_argument(
        "--format",
        choices=tuple(RENDERERS),
        default="text",
        help="text (default), markdown (a table for a pull request or $GITHUB_STEP_SUMMARY) or json",
    )
    parser.add_argument(
        "--fail-on",
        type=_fail_kinds,
        default=frozenset(),
        metavar="KINDS",
        help=f"exit 1 when a change of one of these kinds is present: {','.join(FAIL_KINDS)}",
    )


def run(args: argparse.Namespace) -> int:
    """Print the diff; return 1 when it holds a change of a ``--fail-on`` kind."""
    config = project_config(args)
    if args.base.startswith("-"):
        raise UsageError(f"--base {args.base}: give a commit, branch or tag")
    report = compare(config.root, config.lockfile, args.base)
    sys.stdout.write(RENDERERS[args.format](report, args.fail_on))
    flagged = report.flagged(args.fail_on)
    for kind, name in flagged:
        print(f"tfjs-build diff: {name}: {kind} changed (--fail-on {kind})", file=sys.stderr)
    return DIFF_FLAGGED if flagged else DIFF_CLEAN
