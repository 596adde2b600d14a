"""Command-line options shared by several commands: parity, unsafe loading, the project and its cache."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from pathlib import Path

from tfjs_build.config import PARITY_BACKENDS, ParitySettings, ProjectConfig, load_config
from tfjs_build.display import shown_path


def _backends(text: str) -> tuple[str, ...]:
    items = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in items if t not in PARITY_BACKENDS]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(PARITY_BACKENDS)}, got {text!r}"
        )
    return items


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def add_unsafe_deserialization_argument(parser: argparse.ArgumentParser) -> None:
    """Register the explicit opt-in to loading Lambda layers (which runs code from the file)."""
    parser.add_argument(
        "--allow-unsafe-deserialization",
        action="store_true",
        help="allow loading Lambda layers, which executes code stored in the model file",
    )


def add_parity_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--parity-backends``, ``--seed``, ``--samples``, ``--atol`` and ``--rtol``."""
    group = parser.add_argument_group("parity check")
    group.add_argument(
        "--parity-backends",
        type=_backends,
        default=PARITY_BACKENDS,
        metavar="LIST",
        help="TF.js backends to check on, comma-separated (default: cpu,wasm)",
    )
    group.add_argument("--seed", type=int, default=0, help="seed of the probe inputs (default: 0)")
    group.add_argument(
        "--samples",
        type=Path,
        default=None,
        metavar="FILE",
        help="use these inputs instead of probes: .npy (one input) or .npz (one array per input name)",
    )
    group.add_argument(
        "--atol",
        type=_tolerance,
        default=None,
        help="absolute tolerance; --atol/--rtol/--scale-tol each override the default for the "
        "weights' quantization, the ones not given keep it",
    )
    group.add_argument(
        "--rtol", type=_tolerance, default=None, help="tolerance relative to each reference value"
    )
    group.add_argument(
        "--scale-tol",
        type=_tolerance,
        default=None,
        help="tolerance relative to the output's largest |reference|",
    )


def parity_settings(args: argparse.Namespace, enabled: bool = True) -> ParitySettings:
    """The parity settings the command line asks for."""
    return ParitySettings(
        enabled=enabled,
        backends=args.parity_backends,
        seed=args.seed,
        samples=args.samples,
        atol=args.atol,
        rtol=args.rtol,
        scale_tol=args.scale_tol,
    )


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    """Register ``--project DIR``: the directory whose pyproject.toml configures the models."""
    parser.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="directory holding pyproject.toml with [tool.tfjs-build] (default: the current one)",
    )


def add_cache_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Register ``--cache-dir DIR``, which overrides the configured ``cache_dir``."""
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="build cache directory (default: cache_dir in [tool.tfjs-build], else .tfjs-build/cache)",
    )


def project_config(args: argparse.Namespace) -> ProjectConfig:
    """The configuration ``--project`` (and ``--cache-dir``, where the command has it) selects."""
    config = load_config(args.project)
    cache_dir = getattr(args, "cache_dir", None)
    if cache_dir is not None:
        config = dataclasses.replace(config, cache_dir=Path(cache_dir).expanduser().resolve())
    return config


def project_flag(args: argparse.Namespace) -> str:
    """`` --project DIR`` as the user would retype it, or nothing for the current directory."""
    return "" if Path(args.project) == Path(".") else f" --project {shlex.quote(str(args.project))}"


def git_add_command(config: ProjectConfig, outputs: list[Path]) -> str:
    """``git add`` of the given artifact directories and the lockfile, as paths from here."""
    paths = [shown_path(config.root / output) for output in outputs] + [shown_path(config.lockfile)]
    return f"git add {' '.join(map(shlex.quote, paths))}"
