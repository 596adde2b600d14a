#!/usr/bin/env python3
"""Measure what each TF.js release from 3.21.0 on lacks that the pinned one has, for graph models.

Each release's packages (tfjs-core, tfjs-converter and the backends it has) are installed into a
scratch directory, ``op_registry.js`` reads them, and the tables are condensed into the first
release that has each op the converter executes and each kernel a backend registers, and the
kernels each op reaches in the releases whose reach differs from the pinned one's.

Usage: python tfjs_build/js/tools/op_releases.py > tfjs_build/tfjs_releases.json
(``--tables DIR`` keeps or reuses the per-release tables; npm must be on PATH.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

Table = dict[str, Any]

TOOLS = Path(__file__).resolve().parent
OLDEST = (3, 21, 0)
PACKAGES = (
    "tfjs-core",
    "tfjs-converter",
    "tfjs-backend-cpu",
    "tfjs-backend-wasm",
    "tfjs-backend-webgl",
    "tfjs-backend-webgpu",
)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def published(package: str) -> list[str]:
    """Every final release of ``@tensorflow/<package>`` from :data:`OLDEST` on, oldest first."""
    listed = subprocess.run(
        ["npm", "view", f"@tensorflow/{package}", "versions", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    final = [v for v in json.loads(listed) if all(p.isdigit() for p in v.split("."))]
    return sorted((v for v in final if _key(v) >= OLDEST), key=_key)


def measure(version: str, packages: list[str], scratch: Path) -> Table:
    """``op_registry.js``'s table for ``version`` of ``packages``, installed fresh in ``scratch``."""
    directory = scratch / version
    directory.mkdir()
    (directory / "package.json").write_text('{"private": true}\n')
    specs = [f"@tensorflow/{name}@{version}" for name in packages]
    subprocess.run(
        [
            "npm",
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            *specs,
        ],
        cwd=directory,
        stdout=sys.stderr,
        check=True,
    )
    table = subprocess.run(
        ["node", str(TOOLS / "op_registry.js"), str(directory / "node_modules")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shutil.rmtree(directory)
    measured: Table = json.loads(table)
    return measured


def tables(directory: Path, by_package: dict[str, list[str]]) -> dict[str, Table]:
    """Each release's table, measured into ``directory`` (one JSON file each) unless already there."""
    directory.mkdir(parents=True, exist_ok=True)
    measured = {}
    for version in published("tfjs-converter"):
        saved = directory / f"{version}.json"
        if not saved.exists():
            present = [name for name in PACKAGES if version in by_package[name]]
            with tempfile.TemporaryDirectory(dir=directory) as scratch:
                saved.write_text(json.dumps(measure(version, present, Path(scratch))))
            print(f"measured TF.js {version}", file=sys.stderr, flush=True)
        measured[version] = json.loads(saved.read_text())
    return measured


def _first_releases(present: dict[str, set[str]], versions: list[str]) -> dict[str, str]:
    """For each name the newest release has: the release from which on every release has it."""
    first = {}
    for name in sorted(present[versions[-1]]):
        since = versions[-1]
        for version in reversed(versions):
            if name not in present[version]:
                break
            since = version
        if since != versions[0]:
            first[name] = since
        gaps = [v for v in versions if _key(v) < _key(since) and name in present[v]]
        if gaps:  # had it, lost it, got it back: the first release counted is after the loss
            print(f"{name}: also in {', '.join(gaps)}", file=sys.stderr)
    return first


def _ranges(present: dict[str, bool], versions: list[str]) -> list[list[str]]:
    """The runs of consecutive releases in which a fact holds, as ``[first, last]`` pairs."""
    runs: list[list[str]] = []
    previous = False
    for version in versions:
        if present[version] and previous:
            runs[-1][1] = version
        elif present[version]:
            runs.append([version, version])
        previous = present[version]
    return runs


def _pairs(tables: dict[str, Table], field: str, versions: list[str]) -> Table:
    """``table[field]`` (name -> list of names) in every release, as name -> name -> ranges."""
    keys = sorted({key for v in versions for key in tables[v][field]})
    result = {}
    for key in keys:
        values = sorted({value for v in versions for value in tables[v][field].get(key, [])})
        result[key] = {
            value: _ranges({v: value in tables[v][field].get(key, []) for v in versions}, versions)
            for value in values
        }
    return result


def condense(tables: dict[str, Table], by_package: dict[str, list[str]]) -> Table:
    """Which packages each release has; what it lacks that the newest has, and the per-release
    facts of the op check."""
    versions = sorted(tables, key=_key)
    newest = tables[versions[-1]]
    extra = {v: sorted(set(tables[v]["ops"]) - set(newest["ops"])) for v in versions}
    for version, names in extra.items():
        if names:
            print(f"{version} executes ops {versions[-1]} does not: {names}", file=sys.stderr)
    kernels = {}
    for backend in newest["kernels"]:
        having = [v for v in versions if backend in tables[v]["kernels"]]
        kernels[backend] = _first_releases(
            {v: set(tables[v]["kernels"][backend]) for v in having}, having
        )
    return {
        "generated_by": "tfjs_build/js/tools/op_releases.py",
        "releases": versions,
        "packages": {
            f"@tensorflow/{name}": _ranges({v: v in releases for v in versions}, versions)
            for name, releases in sorted(by_package.items())
        },
        "ops_since": _first_releases({v: set(tables[v]["ops"]) for v in versions}, versions),
        "kernels_since": kernels,
        "kernels_reached": _pairs(tables, "kernels_reached", versions),
        "channels_last_only": _pairs(tables, "channels_last_only", versions),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=Path, help="keep (and reuse) each release's table here")
    arguments = parser.parse_args()
    by_package = {name: published(name) for name in (*PACKAGES, "tfjs-layers")}
    if arguments.tables is not None:
        measured = tables(arguments.tables, by_package)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            measured = tables(Path(scratch), by_package)
    facts = condense(measured, by_package)
    sys.stdout.write(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
