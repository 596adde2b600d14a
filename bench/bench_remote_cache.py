"""Benchmark: a team's remote cache on moto's S3 server, 500 small models in 4 shards.

Each shard is a CI job with an empty local cache: a fresh clone (sources and configuration only)
running ``tfjs-build convert --shard I/4`` against ``s3://.../bench`` on a moto server started on
127.0.0.1 (through s3fs over HTTP, as with AWS). Measured as whole processes, with the wall time,
the process's CPU time (user + system) and the moto server's CPU time for the run:

- the cold fill: each shard converts its models (parity off, no TensorFlow) and pushes them;
- the warm restore, in turns over ``--runs`` rounds: each shard's fresh clone restores every model
  from the remote; then, in the same clone, ``convert`` again (all up to date), ``check`` (which
  finds the other shards' models missing: exit 1, as expected), and a restore from the local cache
  alone (outputs and lockfile deleted), to split the remote's share off;
- the assembling job: one fresh clone restoring all 500, then ``tfjs-build check`` there.

Every warm run must say that all its models came from the remote, and one probe run must show
neither TensorFlow nor numpy imported; exits 1 otherwise. Goal: a warm shard restores in < 2 s.

    python bench/bench_remote_cache.py [--models 500] [--shards 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench_check import child_env, heavy_imports, imported_modules, run_process
from bench_doit_uptodate import write_project

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the moto server launcher the tests use

from tests.moto_server import S3Server, s3_server  # noqa: E402

GOAL_SECONDS = 2.0
CONVERT = [sys.executable, "-m", "tfjs_build", "convert"]
CHECK = [sys.executable, "-m", "tfjs_build", "check"]
TICKS = os.sysconf("SC_CLK_TCK")

Expect = Callable[[int, str], str | None]
Sample = tuple[float, float, float]
"""Wall seconds, the process's CPU seconds, the server's CPU seconds."""


def server_cpu(server: S3Server) -> float:
    """CPU seconds the server process has used so far."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def timer(
    server: S3Server, env: dict[str, str], failures: list[str]
) -> Callable[[str, list[str], Path, Expect], Sample]:
    """``timed(label, command, cwd, expect)``: run ``command`` in ``cwd``, its sample; what
    ``expect`` finds wrong with its outcome goes to ``failures``."""

    def timed(label: str, command: list[str], cwd: Path, expect: Expect) -> Sample:
        before = server_cpu(server)
        run = run_process(command, cwd, env)
        if (problem := expect(run.returncode, run.stdout)) is not None:
            failures.append(f"{label}: {problem} {run.stderr[-600:]}")
        return run.wall, run.cpu, server_cpu(server) - before

    return timed


def clone_project(template: Path, clone: Path) -> Path:
    """A fresh checkout of ``template``: its sources (hard links) and pyproject.toml only."""
    shutil.rmtree(clone, ignore_errors=True)
    (clone / "models").mkdir(parents=True)
    for model in (template / "models").iterdir():
        os.link(model, clone / "models" / model.name)
    shutil.copy(template / "pyproject.toml", clone / "pyproject.toml")
    return clone


def _summary(count: int, what: str) -> Expect:
    """A check that the run exited 0 and its summary says ``count`` models went ``what``."""

    def expect(code: int, stdout: str) -> str | None:
        last = stdout.splitlines()[-1] if stdout else ""
        fine = code == 0 and f" {count} models: " in last and what in last
        return None if fine else f"exit {code}: {last}"

    return expect


def _row(label: str, samples: list[Sample]) -> None:
    walls, cpus, server = zip(*samples, strict=True)
    median = statistics.median
    print(
        f"| {label} | {median(walls):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
        f"| {median(cpus):.2f} | {median(server):.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-remote-cache-"))
    try:
        with s3_server(scratch / "moto.log") as server:
            os.environ.update(server.env(scratch))  # for creating the bucket here
            url = f"s3://{server.new_bucket()}/bench"
            return _bench(scratch, server, url, args.models, args.shards, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _bench(scratch: Path, server: S3Server, url: str, models: int, shards: int, runs: int) -> int:
    env = {**child_env(scratch), **server.env(scratch)}
    template = scratch / "template"
    write_project(template, models, extra=f'cache_remote = "{url}"\n')
    size = -(-models // shards)
    failures: list[str] = []

    timed = timer(server, env, failures)

    def shard_command(shard: int) -> list[str]:
        return [*CONVERT, "--shard", f"{shard}/{shards}"]

    cold = [
        timed(
            f"cold {shard}",
            shard_command(shard),
            clone_project(template, scratch / f"cold{shard}"),
            _summary(size, f"{size} converted"),
        )
        for shard in range(1, shards + 1)
    ]
    restored = _summary(size, f"{size} restored from cache ({size} from the remote)")
    up_to_date = _summary(size, f"{size} up to date")
    local = _summary(size, f"{size} restored from cache, ")
    missing = f"{models - size} of {models} artifacts stale or missing"
    warm: dict[str, list[Sample]] = {"restore": [], "again": [], "check": [], "local": []}
    for _ in range(runs):  # in turns, so a slow spell of the machine hits every case alike
        for shard in range(1, shards + 1):
            clone = clone_project(template, scratch / f"warm{shard}")
            command = shard_command(shard)
            warm["restore"].append(timed(f"warm {shard}", command, clone, restored))
            warm["again"].append(timed(f"again {shard}", command, clone, up_to_date))
            warm["check"].append(
                timed(
                    f"check {shard}",
                    CHECK,
                    clone,
                    lambda code, out: None if code == 1 and missing in out else out[:300],
                )
            )
            shutil.rmtree(clone / "web_model")
            (clone / "tfjs-build.lock").unlink()
            warm["local"].append(timed(f"local {shard}", command, clone, local))

    probe, modules = imported_modules(
        shard_command(1), clone_project(template, scratch / "probe"), env
    )
    if heavy_imports(modules) or probe.returncode != 0:
        failures.append(f"probe: exit {probe.returncode}, imported {heavy_imports(modules)}")

    assemble = clone_project(template, scratch / "assemble")
    everything = _summary(models, f"{models} restored from cache ({models} from the remote)")
    assembled = timed("assemble", CONVERT, assemble, everything)
    checked = [
        timed("check all", CHECK, assemble, lambda c, out: None if c == 0 else out[:300])
        for _ in range(runs)
    ]

    print(f"{models} models (Dense 4-2 .h5, parity off), {shards} shards of {size}, {runs} rounds")
    print("| case | wall s, median (min-max) | process CPU s | server CPU s |")
    print("|---|---|---|---|")
    _row("cold fill: `convert --shard I/N` converts and pushes", cold)
    _row("warm: `convert --shard I/N` in a fresh clone, all from the remote", warm["restore"])
    _row("the same shard again, all up to date", warm["again"])
    _row("`check` in that clone (the other shards' models missing: exit 1)", warm["check"])
    _row("outputs and lockfile deleted: all from the local cache", warm["local"])
    _row(
        f"assembling job: `convert` of all {models} in a fresh clone, from the remote", [assembled]
    )
    _row(f"`check` of the {models} restored models", checked)
    print(
        f"imported of the heavy modules (probe run): {', '.join(heavy_imports(modules)) or 'none'}"
    )
    met = statistics.median(w for w, _, _ in warm["restore"]) < GOAL_SECONDS
    print(
        f"goal: a warm shard restores in < {GOAL_SECONDS:.0f} s wall: {'met' if met else 'missed'}"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
