"""Command-line pieces several commands share: the project, its configuration, retypable hints."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from tfjs_build.cli.option_flags import project_overrides
from tfjs_build.display import shown_path
from tfjs_build.project.config import ProjectConfig, load_config


def add_project_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Register ``--project DIR``: the directory whose pyproject.toml configures the models."""
    parser.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="directory holding pyproject.toml with [tool.tfjs-build] (default: the current one)",
    )


def project_config(args: argparse.Namespace) -> ProjectConfig:
    """The configuration ``--project`` selects, with the project-level options the command line
    set (``--cache-dir``, ``--lockfile``, ...) in place of the configured ones."""
    root = Path(args.project).resolve()
    return load_config(root, project_overrides(args, root))


def project_flag(args: argparse.Namespace) -> str:
    """`` --project DIR`` as the user would retype it, or nothing for the current directory."""
    return "" if Path(args.project) == Path(".") else f" --project {shlex.quote(str(args.project))}"


def git_add_command(config: ProjectConfig, outputs: list[Path]) -> str:
    """``git add`` of the given artifact directories and the lockfile, as paths from here."""
    paths = [shown_path(config.root / output) for output in outputs] + [shown_path(config.lockfile)]
    return f"git add {' '.join(map(shlex.quote, paths))}"
