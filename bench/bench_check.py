"""Benchmark: ``tfjs-build check`` on 100 fresh models, as a whole process (wall s, peak RSS).

Builds 100 tiny layers models (``bench_doit_uptodate.write_project``, parity off) and converts them
once with ``tfjs-build convert``; then times ``check`` warm (hash cache present) and cold
(``.tfjs-build/hash-cache.json`` deleted before each run), through ``python -m tfjs_build`` and
every ``tfjs-build`` console script found (beside this interpreter, in the repo's ``.venv``, on
PATH), next to a bare ``python -c pass``. Children keep their bytecode in a scratch
``PYTHONPYCACHEPREFIX``, as an installed package would; one case runs with
``PYTHONDONTWRITEBYTECODE=1`` (every module compiled in every run). One run of each command with
``PYTHONPROFILEIMPORTTIME=1`` must show neither numpy nor TensorFlow imported.
Target: <= 0.5 s wall warm; exits 1 when it is missed or a check fails.

    python bench/bench_check.py [--models 100] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_doit_uptodate import write_h5_model, write_project

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.5
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
HEAVY_MODULES = ("numpy", "tensorflow", "keras", "tf_keras", "h5py", "jax")


@dataclass(frozen=True)
class Run:
    """One finished child process."""

    wall: float
    rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0
    """User plus system seconds of the child (and its children)."""


def run_process(argv: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run ``argv`` to completion: wall seconds, peak RSS (MiB) and its output.

    The RSS comes from GNU time: a child's own ``ru_maxrss`` also counts the pages it shared with
    this process before ``exec`` (a 2 MiB ``cp`` would show this benchmark's size). Without
    /usr/bin/time it falls back to that figure, an upper bound.
    """
    with tempfile.TemporaryDirectory() as scratch:
        out, err, rss = (Path(scratch) / name for name in ("out", "err", "rss"))
        timed = [TIME, "-f", "%M", "-o", str(rss), *argv] if TIME else argv
        with out.open("wb") as stdout, err.open("wb") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(timed, cwd=cwd, env=env, stdout=stdout, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
        kib = int(rss.read_text().split()[-1]) if TIME else usage.ru_maxrss
        return Run(
            wall,
            kib / 1024,
            os.waitstatus_to_exitcode(status),
            out.read_text(errors="replace"),
            err.read_text(errors="replace"),
            usage.ru_utime + usage.ru_stime,
        )


def child_env(scratch: Path) -> dict[str, str]:
    """The environment the timed children run in: bytecode cached under ``scratch``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def imported_modules(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[Run, dict[str, int]]:
    """Run ``argv`` once with ``PYTHONPROFILEIMPORTTIME=1``: the run, and every module it imported
    with its cumulative import time in microseconds."""
    run = run_process(argv, cwd, {**env, "PYTHONPROFILEIMPORTTIME": "1"})
    modules = {}
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                modules[name.strip()] = int(cumulative)
    return run, modules


def heavy_imports(modules: dict[str, int]) -> list[str]:
    """The numerical or ML packages among ``modules`` (top-level names)."""
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY_MODULES))


def spread(walls: list[float]) -> str:
    """``median (min, max)`` in seconds."""
    return f"{statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f})"


def console_scripts() -> list[tuple[str, Path]]:
    """Every distinct ``tfjs-build`` console script: beside this interpreter, in .venv, on PATH."""
    on_path = shutil.which("tfjs-build")
    candidates = [
        ("beside sys.executable", Path(sys.executable).parent / "tfjs-build"),
        (".venv", REPO / ".venv" / "bin" / "tfjs-build"),
        ("on PATH", Path(on_path) if on_path else None),
    ]
    found: dict[Path, list[str]] = {}
    for where, path in candidates:
        if path is not None and path.is_file() and os.access(path, os.X_OK):
            found.setdefault(path.absolute(), []).append(where)
    return [(", ".join(wheres), path) for path, wheres in found.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        return _bench(scratch, args.models, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    runs: int,
    expect: Callable[[Run], str | None],
    before: Callable[[], object] = lambda: None,
) -> tuple[list[float], float, list[str]]:
    """Run ``command`` ``runs`` times (``before`` each): wall seconds, peak RSS MiB, and what
    ``expect`` found wrong with any run."""
    walls, peak, problems = [], 0.0, []
    for _ in range(runs):
        before()
        run = run_process(command, cwd, env)
        walls.append(run.wall)
        peak = max(peak, run.rss_mib)
        if (problem := expect(run)) is not None:
            problems.append(problem)
    return walls, peak, problems


def row(label: str, walls: list[float], peak: float | None = None) -> None:
    """One line of the report."""
    rss = "" if peak is None else f"  peak RSS {peak:.0f} MiB"
    print(f"{label:<64} {spread(walls)}{rss}")


def _bench(scratch: Path, models: int, runs: int) -> int:
    root = scratch / "project"
    write_project(root, models)
    env = child_env(scratch)
    built = run_process([sys.executable, "-m", "tfjs_build", "convert"], root, env)
    if built.returncode != 0 or built.stdout.count(": converted (") != models:
        print(built.stdout[-2000:], built.stderr[-2000:])
        return 1
    hash_cache = root / ".tfjs-build" / "hash-cache.json"

    def fresh(run: Run) -> str | None:
        if run.returncode == 0 and f"tfjs-build: {models} artifacts up to date" in run.stdout:
            return None
        return f"expected exit 0 and all fresh, got {run.returncode}: {run.stdout[-500:]}"

    def one_stale(run: Run) -> str | None:
        if run.returncode == 1 and f"1 of {models} artifacts stale" in run.stdout:
            return None
        return f"expected exit 1 and 1 stale, got {run.returncode}: {run.stdout[-500:]}"

    python_m = [sys.executable, "-m", "tfjs_build", "check"]
    commands = [("python -m tfjs_build check", python_m)]
    commands += [
        (f"tfjs-build check ({where})", [str(path), "check"]) for where, path in console_scripts()
    ]
    failures = []
    print(f"{models} fresh models, {runs} runs per case, Python {sys.version.split()[0]}")
    bare = [sys.executable, "-c", "pass"]
    run_process(bare, root, env)  # caches the bytecode of site and what it imports
    row("python -c pass (startup, for scale)", *measure(bare, root, env, runs, lambda r: None)[:2])
    for label, command in commands:
        probe, modules = imported_modules(command, root, env)  # also caches the bytecode
        heavy = heavy_imports(modules)
        if fresh(probe) or heavy:
            failures.append(f"{label}: {fresh(probe) or ''} imported {', '.join(heavy)}")
        warm, peak, problems = measure(command, root, env, runs, fresh)
        row(f"{label}, warm", warm, peak)
        cold, peak, more = measure(
            command, root, env, runs, fresh, lambda: hash_cache.unlink(missing_ok=True)
        )
        row(f"{label}, cold", cold, peak)
        print(
            f"    {command[0]}: import tfjs_build.cli {modules.get('tfjs_build.cli', 0) / 1e6:.3f} s"
            f" (under PYTHONPROFILEIMPORTTIME); imported of {', '.join(HEAVY_MODULES)}: "
            f"{', '.join(heavy) or 'none'}"
        )
        failures += [f"{label}: {p}" for p in problems + more]
        if statistics.median(warm) > TARGET_SECONDS:
            failures.append(
                f"{label}: warm median {statistics.median(warm):.3f} s > {TARGET_SECONDS} s"
            )
    failures += _through_pre_commit(root, scratch, env, runs)
    no_bytecode = {k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"}
    no_bytecode["PYTHONDONTWRITEBYTECODE"] = "1"
    walls, peak, problems = measure(python_m, root, no_bytecode, runs, fresh)
    row("python -m tfjs_build check, warm, PYTHONDONTWRITEBYTECODE=1", walls, peak)
    write_h5_model(root / "models" / "m000.h5", seed=models)  # m000's source changes
    walls, peak, more = measure(python_m, root, env, runs, one_stale)
    row(f"python -m tfjs_build check, warm, 1 of {models} stale (exit 1)", walls, peak)
    failures += problems + more
    for failure in failures:
        print(f"FAILED: {failure}")
    verdict = "NOT met" if failures else "met"
    print(
        f"target: warm check <= {TARGET_SECONDS} s wall, no numpy or TensorFlow import: {verdict}"
    )
    return 1 if failures else 0


def _through_pre_commit(root: Path, scratch: Path, env: dict[str, str], runs: int) -> list[str]:
    """``pre-commit run tfjs-build-check`` in the project made a git repo, the hook installed from
    this checkout's HEAD: what a developer waits for on each commit."""
    if (
        shutil.which("git") is None
        or subprocess.run([sys.executable, "-c", "import pre_commit"]).returncode
    ):
        print("pre-commit or git missing: skipping the run through pre-commit")
        return []
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    hooked = {
        **env,
        "PRE_COMMIT_HOME": str(scratch / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }
    config = (
        f'repos:\n  - repo: "{REPO}"\n    rev: {head}\n    hooks:\n      - id: tfjs-build-check\n'
    )
    (root / ".pre-commit-config.yaml").write_text(config)
    for git in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *git], cwd=root, env=hooked, check=True)
    command = [sys.executable, "-m", "pre_commit", "run", "tfjs-build-check"]
    install = run_process(command, root, hooked)  # builds the hook's environment once
    print(f"pre-commit: hook environment installed in {install.wall:.1f} s")

    def passed(run: Run) -> str | None:
        ok = run.returncode == 0 and "tfjs-build check" in run.stdout and "Passed" in run.stdout
        return None if ok else f"pre-commit run: exit {run.returncode}: {run.stdout[-500:]}"

    walls, peak, problems = measure(command, root, hooked, runs, passed)
    row("pre-commit run tfjs-build-check (pre-commit + hook)", walls, peak)
    return problems


if __name__ == "__main__":
    sys.exit(main())
