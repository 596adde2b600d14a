"""``tfjs-build convert`` without a SOURCE: bring the project's configured models up to date.

The same :class:`~tfjs_build.project.session.BuildSession` the doit tasks use: fresh models are
left alone, stale ones come from the build cache when it has them, else they are converted and
checked for parity.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from tfjs_build.cli.arguments import add_project_argument, git_add_command, project_config
from tfjs_build.cli.option_flags import add_project_flags, given
from tfjs_build.display import shown_path
from tfjs_build.errors import UsageError
from tfjs_build.options import OPTIONS, PROJECT_OPTIONS
from tfjs_build.project.events import ModelResult
from tfjs_build.project.selection import Shard, parse_shard, select_models

EPILOG = """project builds (no SOURCE):
  exit 0 when every selected model is up to date afterwards, 1 when any failed
  (or, with --fail-on-change, when any artifact was rebuilt or restored)"""

_GROUP = "project builds (no SOURCE)"


def _shard(text: str) -> Shard:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the project-build options."""
    group = parser.add_argument_group(_GROUP)
    add_project_argument(group)
    group.add_argument(
        "--model",
        dest="models",
        action="append",
        default=[],
        metavar="NAME",
        help="build only this configured model (repeatable)",
    )
    group.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="I/N",
        help="build only shard I of N: models sorted by name, dealt round-robin, so the N "
        "shards cover every model exactly once",
    )
    group.add_argument(
        "--force", action="store_true", help="convert even fresh models, without the cache"
    )
    group.add_argument("--no-cache", action="store_true", help="neither read nor fill the cache")
    group.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when any artifact changed, so that it gets staged (pre-commit)",
    )
    group.add_argument(
        "--json", action="store_true", help="print one JSON record per model on stdout"
    )
    add_project_flags(group, "convert")
    defaults = vars(parser.parse_args([]))  # option flags default to "not given": not listed
    del defaults["source"], defaults["output"]
    parser.set_defaults(project_build_defaults=defaults)


def given_project_flags(args: argparse.Namespace) -> list[str]:
    """Project-build flags given on a command line that converts one SOURCE."""
    defaults: dict[str, object] = args.project_build_defaults
    flags = {"models": "--model", "project": "--project"}
    named = [
        flags.get(dest, "--" + dest.replace("_", "-"))
        for dest, default in defaults.items()
        if getattr(args, dest) != default
    ]
    return named + [OPTIONS[key].flag for key in given(args, PROJECT_OPTIONS)]


def _records(args: argparse.Namespace, results: list[ModelResult]) -> str:
    records = [
        {"name": r.name, "outcome": r.outcome, "reasons": list(r.reasons), "cache_key": r.cache_key}
        | ({"error": r.error} if r.error is not None else {})
        | ({"divergence": r.divergences} if r.divergences else {})
        for r in results
    ]
    shard = str(args.shard) if args.shard else None
    return json.dumps({"shard": shard, "models": records}, indent=2)


def dry_run(args: argparse.Namespace) -> int:
    """Say what building the selected models would do, and why; write nothing."""
    from tfjs_build.project.plan import plan_builds
    from tfjs_build.text_reporter import planned_line

    config = project_config(args)
    if not config.models and not config.problems:
        raise UsageError(f"{shown_path(config.root / 'pyproject.toml')} configures no models")
    specs = select_models(config.models, args.models, args.shard)
    plans = plan_builds(config, specs, force=args.force, use_cache=not args.no_cache)
    if args.json:
        records = [
            {
                "name": p.name,
                "action": p.action,
                "source": p.source.as_posix(),
                "output": p.output.as_posix(),
                "reasons": list(p.reasons),
                "cache_key": p.cache_key,
            }
            for p in plans
        ]
        print(json.dumps({"dry_run": True, "models": records}, indent=2))
    else:
        for plan in plans:
            print(planned_line(plan))
    counts = Counter(p.action for p in plans)
    print(
        f"tfjs-build: dry run: {len(plans)} model{'s' if len(plans) != 1 else ''}: "
        f"{counts['convert']} to convert, {counts['restore']} to restore from the cache, "
        f"{counts['up to date']} up to date, {counts['fail']} failing; nothing was written",
        file=sys.stderr if args.json else sys.stdout,
    )
    for problem in config.problems:
        print(f"tfjs-build: error: {problem}", file=sys.stderr)
    return 1 if counts["fail"] or config.problems else 0


def run(args: argparse.Namespace) -> int:
    """Build the selected models; print one line (or JSON record) each and a summary."""
    from tfjs_build.project.session import BuildSession
    from tfjs_build.text_reporter import TextReporter

    config = project_config(args)
    if not config.models and not config.problems:
        raise UsageError(f"{shown_path(config.root / 'pyproject.toml')} configures no models")
    specs = select_models(config.models, args.models, args.shard)
    lines = sys.stderr if args.json else sys.stdout
    whole_project = not args.models and args.shard is None
    reporter = TextReporter(out=lines, err=sys.stderr)
    with BuildSession(config, reporter, use_cache=not args.no_cache) as session:
        if not args.force:
            session.prefetch(specs)
        results = [session.build(spec, force=args.force) for spec in specs]
        orphans = session.drop_orphans() if whole_project else ()
    counts = Counter(r.outcome for r in results)
    remote = sum(r.from_remote for r in results)
    scope = f"shard {args.shard}: " if args.shard else ""
    summary = (
        f"tfjs-build: {scope}{len(results)} model{'s' if len(results) != 1 else ''}: "
        f"{counts['converted']} converted, {counts['restored']} restored from cache"
        f"{f' ({remote} from the remote)' if remote else ''}, "
        f"{counts['up to date']} up to date, {counts['failed']} failed"
    )
    if args.json:
        print(_records(args, results))
    print(summary, file=lines, flush=True)
    if orphans:
        print(
            f"tfjs-build: dropped lockfile entries of models no longer configured: {', '.join(orphans)} "
            "(their artifacts are left in place; `tfjs-build check` names them)"
        )
    for problem in config.problems:
        print(f"tfjs-build: error: {problem}", file=sys.stderr)
    if counts["failed"]:
        failed = ", ".join(r.name for r in results if r.outcome == "failed")
        print(
            f"tfjs-build: failed: {failed} (the previous artifacts are unchanged)", file=sys.stderr
        )
    if counts["failed"] or config.problems:
        return 1
    if args.fail_on_change and (orphans or any(r.changed_files for r in results)):
        changed = [spec.output for spec, r in zip(specs, results, strict=True) if r.changed_files]
        print(
            "tfjs-build: artifacts changed; stage them and commit again: "
            f"{git_add_command(config, changed)}",
            file=sys.stderr,
        )
        return 1
    return 0
