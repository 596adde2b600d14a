"""``tfjs-build cache list | prune [--remote]``: look at and shrink the build cache, local or remote."""

from __future__ import annotations

import argparse
import time
from typing import Any

from tfjs_build.cli.arguments import add_project_argument, project_config
from tfjs_build.cli.option_flags import add_project_flags
from tfjs_build.display import human_bytes, parse_size, shown_path
from tfjs_build.errors import ArtifactError, UsageError
from tfjs_build.project.config import ProjectConfig


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand and its actions."""
    parser = commands.add_parser(
        name,
        help="list or prune the build cache",
        description="The build cache holds published artifacts keyed by source, options and "
        "versions, so any clone or CI job can restore them instead of converting.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list the entries, least recently used first")
    prune = actions.add_parser(
        "prune", help="evict least recently used entries until the cache fits its bound"
    )
    bound = prune.add_mutually_exclusive_group()
    bound.add_argument(
        "--max-size",
        type=_size,
        default=None,
        metavar="SIZE",
        help="the bound, e.g. 500MB (default: cache_max_size in [tool.tfjs-build], else 2GB; "
        "with --remote, give it)",
    )
    bound.add_argument("--all", action="store_true", help="remove every entry")
    for action in (listing, prune):
        action.add_argument(
            "--remote",
            action="store_true",
            help="the remote cache (cache_remote) instead of the local one; pruning it removes "
            "the oldest entries",
        )
        add_project_argument(action)
        add_project_flags(action, "cache")


def _age(seconds: float) -> str:
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds / length:.0f} {unit} ago"
    return "just now"


def _print_entries(rows: list[tuple[str, int, float, str]]) -> int:
    """Print one line per entry (key, size, age since ``when``, source); return the total size."""
    now = time.time()
    for key, size, when, source in rows:
        print(f"{key[:16]}  {human_bytes(size):>9}  {_age(now - when):>11}  {source}")
    return sum(size for _, size, _, _ in rows)


def _entries(count: int) -> str:
    return f"{count} entr{'ies' if count != 1 else 'y'}"


def _remote(args: argparse.Namespace, config: ProjectConfig) -> int:
    from tfjs_build.project import remote_listing
    from tfjs_build.project.remote_store import RemoteStore

    if not config.cache_remote:
        raise UsageError(
            'no remote cache is configured: set cache_remote = "s3://bucket/prefix" in '
            "[tool.tfjs-build] or give --cache-remote URL"
        )
    if args.action == "prune" and args.max_size is None and not args.all:
        raise UsageError("cache prune --remote needs --max-size SIZE or --all")
    store = RemoteStore(config.cache_remote, timeout=config.cache_remote_timeout)
    if args.action == "list":
        entries = remote_listing.entries(store)
        total = _print_entries([(e.key, e.total_bytes, e.created, e.source) for e in entries])
        print(f"{store.url}: {_entries(len(entries))}, {human_bytes(total)}")
        return 0
    report = remote_listing.prune(store, 0 if args.all else args.max_size)
    recent = f", {report.blobs_recent} younger than an hour kept" if report.blobs_recent else ""
    print(
        f"{store.url}: removed {_entries(report.removed)} ({human_bytes(report.freed_bytes)}); "
        f"{report.kept} left ({human_bytes(report.kept_bytes)}); "
        f"{report.blobs_removed} unreferenced files removed{recent}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """List or prune; exits 0 unless the configuration is invalid or the remote fails."""
    from tfjs_build.project.cache import BuildCache

    config = project_config(args)
    if args.remote:
        return _remote(args, config)
    if config.cache_dir.exists() and not config.cache_dir.is_dir():
        raise ArtifactError(
            f"the build cache {shown_path(config.cache_dir)} is a file, not a directory; set "
            "cache_dir in [tool.tfjs-build] (or --cache-dir) to a directory"
        )
    cache = BuildCache(config.cache_dir, config.cache_max_bytes)
    where = shown_path(cache.directory)
    if args.action == "list":
        entries = cache.entries()
        total = _print_entries([(e.key, e.total_bytes, e.last_used, e.source) for e in entries])
        print(
            f"{where}: {_entries(len(entries))}, "
            f"{human_bytes(total)} of {human_bytes(cache.max_bytes)}"
        )
        return 0
    limit = 0 if args.all else args.max_size
    report = cache.prune(limit)
    print(
        f"{where}: removed {_entries(report.removed)} "
        f"({human_bytes(report.freed_bytes)}); {report.kept} left ({human_bytes(report.kept_bytes)})"
    )
    return 0
