"""``tfjs-build cache list | prune | verify [--remote]``: look at, shrink and check the build cache,
local or remote; ``tfjs-build cache keygen DIR``: a key pair to sign remote entries with."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
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
        help="list, prune or verify the build cache; make a key pair to sign it",
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
    verify = actions.add_parser(
        "verify",
        help="check every entry: its structure, every file's hash and, on the remote with "
        "cache_trusted_keys, its signature; exit 1 if any is bad",
    )
    keygen = actions.add_parser(
        "keygen",
        help="write a new Ed25519 key pair, DIR/cache.key (secret: give its path to pushers in "
        "$TFJS_BUILD_CACHE_SIGNING_KEY) and DIR/cache.pub (list it in cache_trusted_keys)",
    )
    keygen.add_argument("directory", type=Path, metavar="DIR", help="where to write the keys")
    for action in (listing, prune, verify):
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
    if args.action == "verify":
        return _verify_remote(config)
    store = RemoteStore(
        config.cache_remote,
        timeout=config.cache_remote_timeout,
        client=config.cache_remote_client,
    )
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


def _print_problems(where: str, found: Iterable[tuple[str, str | None]]) -> int:
    """One line per bad entry, then a summary; 1 if any entry is bad."""
    checked = bad = 0
    for key, problem in found:
        checked += 1
        if problem is not None:
            bad += 1
            print(f"{key[:16]}  {problem}")
    print(f"{where}: {_entries(checked)} checked, {bad} bad")
    return 1 if bad else 0


def _verify_remote(config: ProjectConfig) -> int:
    from tfjs_build.project.cache_signing import trusted_keys
    from tfjs_build.project.cache_verify import remote_problems
    from tfjs_build.project.remote_store import RemoteStore

    assert config.cache_remote is not None
    trusted = trusted_keys(config.root, config.cache_trusted_keys)
    store = RemoteStore(
        config.cache_remote,
        timeout=config.cache_remote_timeout,
        trusted=trusted,
        client=config.cache_remote_client,
    )
    with tempfile.TemporaryDirectory(prefix="tfjs-build-verify-") as scratch:
        return _print_problems(store.url, remote_problems(store, Path(scratch)))


def _keygen(directory: Path) -> int:
    from tfjs_build.project.cache_signing import SIGNING_KEY_ENV, generate_keys

    secret, public = generate_keys(directory)
    print(f"wrote {shown_path(secret)} (secret: only pushers get it, through ${SIGNING_KEY_ENV})")
    print(f"wrote {shown_path(public)} (commit it and list it in cache_trusted_keys)")
    return 0


def run(args: argparse.Namespace) -> int:
    """List, prune, verify or make keys; exits 0 unless the configuration is invalid, the
    remote fails or (verify) an entry is bad."""
    from tfjs_build.project.cache import BuildCache

    if args.action == "keygen":
        return _keygen(args.directory)
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
    if args.action == "verify":
        from tfjs_build.project.cache_verify import local_problems

        return _print_problems(where, local_problems(cache))
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
