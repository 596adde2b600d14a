"""Benchmark: a warm CI shard from the remote cache with each client, against the floor.

A project of 500 tiny models (Dense 4-2 ``.h5``, parity off) whose first shard of 4 (125 models)
is converted once and pushed to ``s3://.../bench`` on moto's S3 server on 127.0.0.1. Then, in
turns over ``--runs`` rounds (the order rotated each round, so a slow spell of the machine hits
every case alike), whole processes:

- ``convert --shard 1/4`` in a fresh clone (empty local cache) with ``cache_remote_client``
  fsspec (s3fs: the client before obstore) and obstore, each restoring all 125 from the remote;
- the floor: ``bench/remote_floor.py``, which lists the remote's 125 entries, downloads them with
  obstore and writes them to disk, and does nothing else;
- the same shard restored from the local cache alone (outputs and lockfile deleted), to show what
  of a warm shard is not the remote's;
- ``python -c pass``, the interpreter's start.

Each row: the wall time's median (min-max), the process's CPU (user + system) and the moto
server's CPU, medians; the ratio of each median to the floor's. Every restore must say that all
125 came from the remote, and a probe run with ``cache_remote_client = "auto"`` must have taken
obstore and imported neither TensorFlow, numpy nor botocore; exits 1 otherwise.
Goal: obstore's warm shard < 1.0 s at the median and within 2x of the floor.

    python bench/bench_remote_client.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench_check import child_env, imported_modules
from bench_doit_uptodate import write_project
from bench_remote_cache import CONVERT, Expect, Sample, clone_project, timer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the moto server launcher the tests use

from tests.moto_server import S3Server, s3_server  # noqa: E402

MODELS, SHARDS = 500, 4
SHARD = MODELS // SHARDS
GOAL_SECONDS, GOAL_RATIO = 1.0, 2.0
FLOOR = [sys.executable, str(REPO / "bench" / "remote_floor.py")]
CASES = ("fsspec", "obstore", "floor", "local", "python")
LABELS = {
    "fsspec": f"warm shard, fsspec (s3fs): `convert --shard 1/{SHARDS}`, {SHARD} from the remote",
    "obstore": f"warm shard, obstore: the same, {SHARD} from the remote",
    "floor": f"floor: list and download the {SHARD} entries with obstore, write them",
    "local": "the same shard from the local cache alone (no remote)",
    "python": "`python -c pass`",
}


def _said(text: str) -> Expect:
    """A check that the run exited 0 and its last line says ``text``."""

    def expect(code: int, stdout: str) -> str | None:
        last = stdout.splitlines()[-1] if stdout else ""
        return None if code == 0 and text in last else f"exit {code}: {last}"

    return expect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-remote-client-"))
    try:
        with s3_server(scratch / "moto.log") as server:
            os.environ.update(server.env(scratch))  # for creating the bucket here
            url = f"s3://{server.new_bucket()}/bench"
            return _bench(scratch, server, url, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _bench(scratch: Path, server: S3Server, url: str, runs: int) -> int:
    env = {**child_env(scratch), **server.env(scratch)}
    template = scratch / "template"
    write_project(template, MODELS, extra=f'cache_remote = "{url}"\n')
    shard = [*CONVERT, "--shard", f"1/{SHARDS}"]
    failures: list[str] = []

    timed = timer(server, env, failures)

    filled = timed("fill", shard, clone_project(template, scratch / "fill"), _said("converted"))
    restored = _said(f"{SHARD} restored from cache ({SHARD} from the remote)")
    local_only = _said(f"{SHARD} restored from cache, ")
    runners: dict[str, Callable[[], Sample]] = {
        client: lambda client=client: timed(  # type: ignore[misc]
            client,
            [*shard, "--cache-remote-client", client],
            clone_project(template, scratch / f"warm-{client}"),
            restored,
        )
        for client in ("fsspec", "obstore")
    }
    runners["floor"] = lambda: timed(
        "floor", [*FLOOR, url, str(_empty(scratch / "floor"))], scratch, _said(f"{SHARD} objects")
    )
    local = scratch / "warm-obstore"  # its local cache holds the shard after the obstore case
    runners["local"] = lambda: timed("local", shard, _emptied_outputs(local), local_only)
    runners["python"] = lambda: timed("python", [sys.executable, "-c", "pass"], scratch, _ok)
    samples: dict[str, list[Sample]] = {case: [] for case in CASES}
    for round_ in range(runs):
        turn = round_ % 3  # the two clients and the floor take every position in turn
        order = [*CASES[turn:3], *CASES[:turn]]
        for case in [*order, "local", "python"]:
            samples[case].append(runners[case]())

    probe, modules = imported_modules(shard, clone_project(template, scratch / "probe"), env)
    seen = sorted({m.split(".")[0] for m in modules} & {"tensorflow", "numpy", "botocore", "s3fs"})
    if probe.returncode != 0 or seen or "obstore" not in modules:
        failures.append(
            f"probe (auto): exit {probe.returncode}, imported {seen}, obstore taken: "
            f"{'obstore' in modules}"
        )

    _print(samples, filled, runs)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def _ok(code: int, stdout: str) -> str | None:
    return None if code == 0 else f"exit {code}"


def _empty(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    return directory


def _emptied_outputs(clone: Path) -> Path:
    """``clone`` with its outputs and lockfile deleted (its local cache kept)."""
    shutil.rmtree(clone / "web_model", ignore_errors=True)
    (clone / "tfjs-build.lock").unlink(missing_ok=True)
    return clone


def _print(samples: dict[str, list[Sample]], filled: Sample, runs: int) -> None:
    median = statistics.median
    walls = {case: [w for w, _, _ in found] for case, found in samples.items()}
    floor = median(walls["floor"])
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end; {runs} rounds; fill "
        f"(converting and pushing {SHARD}) {filled[0]:.2f} s"
    )
    print("| case | wall s, median (min-max) | process CPU s | server CPU s | x floor |")
    print("|---|---|---|---|---|")
    for case in CASES:
        wall = walls[case]
        cpu = median(c for _, c, _ in samples[case])
        server = median(s for _, _, s in samples[case])
        print(
            f"| {LABELS[case]} | {median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f}) "
            f"| {cpu:.2f} | {server:.2f} | {median(wall) / floor:.2f} |"
        )
    fsspec, obstore = median(walls["fsspec"]), median(walls["obstore"])
    ratios = [f / o for f, o in zip(walls["fsspec"], walls["obstore"], strict=True)]
    print(
        f"fsspec / obstore: {fsspec / obstore:.2f}x by the medians, per round "
        f"{median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    met = obstore < GOAL_SECONDS and obstore / floor <= GOAL_RATIO
    print(
        f"goal: obstore's warm shard < {GOAL_SECONDS:.1f} s and <= {GOAL_RATIO:.0f}x the floor "
        f"({obstore:.2f} s, {obstore / floor:.2f}x): {'met' if met else 'missed'}"
    )


if __name__ == "__main__":
    sys.exit(main())
