"""``tfjs-build check``: is every configured artifact up to date? (No TensorFlow, no numpy.)

Exit codes: 0 every artifact is fresh; 1 some artifact is stale or missing (each is listed with
its reasons, then the command that fixes it); 2 the configuration or lockfile is invalid, or the
command line is; 3 a bug in tfjs-build.
"""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from tfjs_build.cli.arguments import (
    add_project_argument,
    git_add_command,
    project_config,
    project_flag,
)
from tfjs_build.cli.option_flags import add_project_flags
from tfjs_build.display import shown_path
from tfjs_build.project.config import ModelSpec, ProjectConfig
from tfjs_build.project.session import BuildSession
from tfjs_build.project.status import ProjectStatus

CHECK_FRESH = 0
CHECK_STALE = 1

EPILOG = """exit codes:
  0  every configured artifact is up to date
  1  some artifact is stale or missing (listed, with the command that fixes it), or a
     configured source gives no model (a glob that matches nothing)
  2  the configuration, the lockfile or the command line is invalid
  3  a bug in tfjs-build (a traceback is printed)"""


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="check that every configured artifact is up to date (fast; no TensorFlow)",
        description="Compare every model in [tool.tfjs-build] (its source, options, the converter "
        "and TF.js versions, and its published files) with the lockfile. Nothing is built.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_argument(parser)
    add_project_flags(parser, "check")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _as_json(status: ProjectStatus, specs: dict[str, ModelSpec]) -> str:
    return json.dumps(
        {
            "fresh": status.ok,
            "models": [
                {
                    "name": f.name,
                    "source": specs[f.name].source.as_posix(),
                    "output": specs[f.name].output.as_posix(),
                    "fresh": f.fresh,
                    "reasons": list(f.reasons),
                }
                for f in status.models
            ],
            "orphans": list(status.orphans),
            "orphan_outputs": [shown_path(path) for path in status.orphan_outputs],
            "problems": list(status.problems),
        },
        indent=2,
    )


def _report(
    status: ProjectStatus,
    config: ProjectConfig,
    specs: dict[str, ModelSpec],
    args: argparse.Namespace,
) -> str:
    total, stale = len(status.models), status.stale
    lockfile = shown_path(config.lockfile)
    lines = []
    if not stale:
        lines.append(
            f"tfjs-build: {total} artifact{'s' if total != 1 else ''} up to date ({lockfile})"
        )
    else:
        lines.append(f"tfjs-build: {len(stale)} of {total} artifacts stale or missing:")
        for freshness in stale:
            output = shown_path(config.root / specs[freshness.name].output)
            lines.append(f"  {freshness.name} ({output}): {'; '.join(freshness.reasons)}")
        outputs = [specs[f.name].output for f in stale]
        lines.append(f"fix: tfjs-build convert{project_flag(args)}")
        lines.append(f"     then stage the result: {git_add_command(config, outputs)}")
    lines += [f"error: {problem}" for problem in status.problems]
    if status.orphans:
        lines.append(
            f"note: {lockfile} records models no longer configured ({', '.join(status.orphans)}); "
            "`tfjs-build convert` drops them"
        )
    for path in status.orphan_outputs:
        lines.append(
            f"note: {shown_path(path)} holds an artifact no configured model builds; "
            f"remove it with: rm -r {shlex.quote(shown_path(path))}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print what is stale and return 0 (fresh) or 1 (stale); errors exit 2 (see the epilog)."""
    config = project_config(args)
    with BuildSession(config) as session:
        status = session.status()
    specs = {spec.name: spec for spec in config.models}
    print(_as_json(status, specs) if args.json else _report(status, config, specs, args))
    return CHECK_FRESH if status.ok else CHECK_STALE
