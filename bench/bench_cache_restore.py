"""Benchmark: a build-cache hit for a ~100 MB artifact (wall s, peak RSS), next to ``cp -r``.

One project holds a Dense 1024-4096-4096-1024 ``.h5`` written with h5py (96 MiB of float32
weights, no TensorFlow needed) with ``parity = false``, so the one conversion that fills the
cache runs no TensorFlow either; the cache directory lies outside the project. Then, in turns,
each a fresh process measured whole:

- ``cp -r`` of the cache entry, for scale;
- ``BuildCache.restore`` alone in ``python -c`` (the call timed inside too, next to the sha256 of
  the same files, the floor of a verified copy);
- ``tfjs-build convert`` in the project after its output was deleted (source hash cached);
- ``tfjs-build convert`` in a fresh clone sharing the ``cache_dir`` (the source hashed first).

Every file is in the page cache (as on a CI runner that just restored its cache directory);
``sync`` runs before each measurement so no earlier write-back is charged to it. Each restoring
run must say "restored from cache", and one probe per command must show neither TensorFlow nor
numpy imported; exits 1 otherwise.

    python bench/bench_cache_restore.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_check import (
    HEAVY_MODULES,
    Run,
    child_env,
    heavy_imports,
    imported_modules,
    measure,
    row,
    run_process,
)
from bench_doit_uptodate import write_project

from tfjs_build.project.cache import BuildCache
from tfjs_build.project.fingerprint import sha256_file

MIB = 1024 * 1024
RESTORE_ALONE = "BuildCache.restore alone (python -c)"
WIDTHS = (1024, 4096, 4096, 1024)
RESTORE = """
import sys, time
from pathlib import Path
from tfjs_build.project.cache import BuildCache
started = time.perf_counter()
hit = BuildCache(Path(sys.argv[1])).restore(sys.argv[2], Path(sys.argv[3]))
print(f"{time.perf_counter() - started:.4f} {hit is not None}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-cache-restore-"))
    try:
        return _bench(scratch, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _clone(project: Path, clone: Path) -> None:
    """A second checkout of ``project``'s sources and configuration (no outputs, no lockfile)."""
    _fresh(clone)
    (clone / "models").mkdir(parents=True)
    for model in (project / "models").iterdir():
        os.link(model, clone / "models" / model.name)
    shutil.copy(project / "pyproject.toml", clone / "pyproject.toml")
    os.sync()


def _fresh(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    os.sync()


def _hashing(directory: Path, runs: int) -> list[float]:
    """Seconds to sha256 every file in ``directory`` (the floor of a verified copy)."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        for path in directory.iterdir():
            sha256_file(path)
        walls.append(time.perf_counter() - started)
    return walls


def _restored(run: Run) -> str | None:
    if run.returncode == 0 and "m000: restored from cache (" in run.stdout:
        return None
    return f"expected a restore, got exit {run.returncode}: {run.stdout[-500:]} {run.stderr[-500:]}"


def _bench(scratch: Path, runs: int) -> int:
    project, clone, cache_dir = scratch / "project", scratch / "clone", scratch / "cache"
    weight_bytes = write_project(project, 1, WIDTHS, f'cache_dir = "{cache_dir}"\n')
    env = child_env(scratch)
    convert = [sys.executable, "-m", "tfjs_build", "convert"]
    os.sync()
    filled = run_process(convert, project, env)
    if filled.returncode != 0 or "added to the cache" not in filled.stdout:
        print(filled.stdout[-2000:], filled.stderr[-2000:])
        return 1
    (entry,) = BuildCache(cache_dir).entries()
    output, copied = project / "web_model" / "m000", scratch / "copied"
    restore = [sys.executable, "-c", RESTORE, str(cache_dir), entry.key, str(scratch / "restored")]
    restore_seconds: list[float] = []

    def restored_alone(run: Run) -> str | None:
        words = run.stdout.split()
        if run.returncode != 0 or words[1:] != ["True"]:
            return (
                f"expected a restore, got exit {run.returncode}: {run.stdout} {run.stderr[-500:]}"
            )
        restore_seconds.append(float(words[0]))
        return None

    cases = {
        "cp -r of the cache entry": (
            ["cp", "-r", str(entry.path), str(copied)],
            scratch,
            lambda: _fresh(copied),
            lambda run: None if run.returncode == 0 else "cp failed",
        ),
        RESTORE_ALONE: (
            restore,
            scratch,
            lambda: _fresh(scratch / "restored"),
            restored_alone,
        ),
        "tfjs-build convert, output deleted": (
            convert,
            project,
            lambda: _fresh(output),
            _restored,
        ),
        "tfjs-build convert, fresh clone sharing cache_dir": (
            convert,
            clone,
            lambda: _clone(project, clone),
            _restored,
        ),
    }
    failures, heavy = [], set()
    for label, (command, cwd, before, expect) in cases.items():
        if command[0] != "cp":  # one probe each: what does the process import?
            before()
            probe, modules = imported_modules(command, cwd, env)
            heavy.update(heavy_imports(modules))
            if (problem := expect(probe)) is not None or heavy_imports(modules):
                failures.append(f"{label}: {problem or ''} imported {heavy_imports(modules)}")
    restore_seconds.clear()
    results: dict[str, tuple[list[float], float]] = {label: ([], 0.0) for label in cases}
    for _ in range(runs):  # in turns, so a slow spell of the machine hits every case alike
        for label, (command, cwd, before, expect) in cases.items():
            walls, peak, problems = measure(command, cwd, env, 1, expect, before)
            results[label] = (results[label][0] + walls, max(results[label][1], peak))
            failures += [f"{label}: {p}" for p in problems]

    size = sum(p.stat().st_size for p in output.iterdir())
    print(
        f"artifact: {size / MIB:.1f} MiB in {sum(1 for _ in output.iterdir())} files "
        f"({weight_bytes / MIB:.1f} MiB of weights); parity off; {runs} runs per case"
    )
    print(f"{'first convert (fills the cache)':<64} {filled.wall:.3f} s")
    for label, (walls, peak) in results.items():
        row(label, walls, peak)
        if label == RESTORE_ALONE:
            row("    of which the restore() call", restore_seconds)
            row("    sha256 of the same files (sha256_file, for scale)", _hashing(entry.path, runs))
    print(
        f"    imported of {', '.join(HEAVY_MODULES)} (probe runs): {', '.join(sorted(heavy)) or 'none'}"
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
