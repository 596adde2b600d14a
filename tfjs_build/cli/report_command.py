"""``tfjs-build report``: a static site about the project's models, with a live parity check."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

from tfjs_build.cli.arguments import add_project_argument, project_config
from tfjs_build.display import shown_path


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand."""
    parser = commands.add_parser(
        name,
        help="write a static report of the project's models, with a live check in the browser",
        description="Write index.html and its assets describing every configured model: source, "
        "format, size, shards, quantization, layers or ops, parity per backend with error plots, "
        "TF.js timings, and a live check that reruns each artifact in the visitor's browser "
        "against the reference outputs the build stored. Serve the project root over HTTP "
        "(python -m http.server) to open it; it needs no network.",
    )
    add_project_argument(parser)
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="where to write the report (default: .tfjs-build/report in the project)",
    )
    parser.add_argument(
        "--no-timings",
        dest="timings",
        action="store_false",
        help="do not run the models to measure TF.js load and predict times",
    )


def run(args: argparse.Namespace) -> int:
    """Write the report and say how to open it."""
    from tfjs_build.report.site import DEFAULT_REPORT_DIR, write_report

    config = project_config(args)
    output = (args.output or config.root / DEFAULT_REPORT_DIR).resolve()
    entries = write_report(config, output, timings=args.timings)
    serve = Path(os.path.commonpath([output, *(e.artifact for e in entries), config.root]))
    page = Path(os.path.relpath(output, serve)).as_posix()
    cd = "" if serve == Path.cwd().resolve() else f"cd {shlex.quote(shown_path(serve))} && "
    print(f"wrote {shown_path(output / 'index.html')} ({len(entries)} model(s))")
    print(f"open it: {cd}python -m http.server, then http://localhost:8000/{page}/")
    return 0
