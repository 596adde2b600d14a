"""Benchmark: SavedModel to graph model as a whole process, against TensorFlow's own load time.

Run: python bench/bench_graph_floor.py [--runs 5] [--only mobilenet_v2 ...] [--loader]

Exports Keras 3 MobileNetV2, ResNet50 and EfficientNetB0 (``weights=None``) with
``model.export(...)`` once into ``build/graph-floor/`` (kept for later runs), then runs, in turns
and per model, the floor ``python -c "import tensorflow as tf; tf.saved_model.load(PATH)"`` and
``tfjs-build convert PATH OUT --no-parity``, each a whole process: wall time, CPU (user + system)
and peak resident memory from ``wait4``'s accounting of the finished child. Ratios are taken run
by run (each conversion against the floor run next to it) and their median printed. ``--loader``
adds a third command per round: the same conversion through ``tf.saved_model.load`` (the path
taken before the signature was read from the files; Python API, not the CLI). Then one
process per model times each phase of the conversion (import, load, freeze, prepare, Grappler,
TF.js passes, export, write) and samples its resident set, as ``bench_graph_memory.py`` does.
Prints two Markdown tables; the machine and its load average head them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "graph-floor"
BIN = Path(sys.executable).parent
MODELS = {
    "mobilenet_v2": "MobileNetV2",
    "resnet50": "ResNet50",
    "efficientnet_b0": "EfficientNetB0",
}
MIB = 1024 * 1024


@dataclass(frozen=True)
class Run:
    """One whole process: wall and CPU seconds, peak resident memory in MiB."""

    wall: float
    cpu: float
    peak_mib: float


def _export(name: str) -> Path:
    """The model's SavedModel, exported on the first run only (in a process of its own, so this
    one never imports TensorFlow)."""
    path = WORK / name
    if (path / "saved_model.pb").is_file():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    script = (
        "import sys, keras\n"
        f"model = keras.applications.{MODELS[name]}(weights=None)\n"
        "model.export(sys.argv[1], verbose=False)\n"
    )
    partial = WORK / f"{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([sys.executable, "-c", script, str(partial)], check=True)
    partial.rename(path)
    return path


def _timed(command: list[str]) -> Run:
    """Run ``command`` to its end; the kernel's accounting of the child."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read() if process.stderr else b""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode(errors='replace')}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _floor(source: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys, tensorflow as tf; tf.saved_model.load(sys.argv[1])",
        str(source),
    ]


def _convert(source: Path, output: Path) -> list[str]:
    return [str(BIN / "tfjs-build"), "convert", str(source), str(output), "--no-parity"]


LOADER_SCRIPT = (
    "import sys; from pathlib import Path; "
    "from tfjs_build.artifact.files import write_artifact; "
    "from tfjs_build.graph.convert import convert_saved_model; "
    "write_artifact(convert_saved_model(Path(sys.argv[1]), read_files=False), Path(sys.argv[2]))"
)


def _loader(source: Path, output: Path) -> list[str]:
    """The conversion through ``tf.saved_model.load`` (before the files were read directly)."""
    return [sys.executable, "-c", LOADER_SCRIPT, str(source), str(output)]


COMMANDS = {"floor": lambda source, _output: _floor(source), "convert": _convert, "loader": _loader}


def _interleaved(
    sources: dict[str, Path], runs: int, scratch: Path, kinds: tuple[str, ...]
) -> dict[str, Any]:
    """Per model, one warm-up round, then ``runs`` rounds of ``kinds`` taken in turns (in order
    on even rounds, reversed on odd ones)."""
    results: dict[str, dict[str, list[Run]]] = {n: {k: [] for k in kinds} for n in sources}
    for round_ in range(runs + 1):
        for name, source in sources.items():
            order = kinds if round_ % 2 == 0 else kinds[::-1]
            for which in order:
                output = scratch / f"{name}-out"
                run = _timed(COMMANDS[which](source, output))
                shutil.rmtree(output, ignore_errors=True)
                if round_ > 0:  # the first round warms the page cache
                    results[name][which].append(run)
        print(f"round {round_}/{runs} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return results


def _spread(values: list[float], digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} "
        f"({min(values):.{digits}f}\u2013{max(values):.{digits}f})"
    )


def _ratio(pairs: list[tuple[Run, Run]], field: str) -> float:
    return float(statistics.median(getattr(c, field) / getattr(f, field) for c, f in pairs))


def _whole_process_table(results: dict[str, Any]) -> str:
    lines = [
        "| model | floor: wall s | tfjs-build: wall s | floor: CPU s | tfjs-build: CPU s "
        "| floor: peak MiB | tfjs-build: peak MiB | ratio: wall, CPU, peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        floor, convert = runs["floor"], runs["convert"]
        pairs = list(zip(convert, floor, strict=True))
        lines.append(
            f"| {MODELS[name]} "
            f"| {_spread([r.wall for r in floor])} | {_spread([r.wall for r in convert])} "
            f"| {statistics.median(r.cpu for r in floor):.2f} "
            f"| {statistics.median(r.cpu for r in convert):.2f} "
            f"| {statistics.median(r.peak_mib for r in floor):,.0f} "
            f"| {statistics.median(r.peak_mib for r in convert):,.0f} "
            f"| {_ratio(pairs, 'wall'):.2f}, {_ratio(pairs, 'cpu'):.2f}, "
            f"{_ratio(pairs, 'peak_mib'):.2f} |"
        )
        if "loader" in runs:
            lines.append(_loader_row(name, floor, runs["loader"]))
    return "\n".join(lines)


def _loader_row(name: str, floor: list[Run], loader: list[Run]) -> str:
    pairs = list(zip(loader, floor, strict=True))
    return (
        f"| {MODELS[name]}, through `tf.saved_model.load` | | {_spread([r.wall for r in loader])} "
        f"| | {statistics.median(r.cpu for r in loader):.2f} "
        f"| | {statistics.median(r.peak_mib for r in loader):,.0f} "
        f"| {_ratio(pairs, 'wall'):.2f}, {_ratio(pairs, 'cpu'):.2f}, "
        f"{_ratio(pairs, 'peak_mib'):.2f} |"
    )


PHASES = ("import", "load", "freeze", "prepare", "grappler", "tfjs_passes", "export", "write")


def _phases_in_this_process(source: Path, output: Path) -> dict[str, Any]:
    """Each phase of one conversion in this process: seconds and peak MiB (``--phases``)."""
    started = time.perf_counter()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_graph_memory import RssSampler, _phase_report

    with RssSampler() as rss:
        from tfjs_build._optional import import_tensorflow
        from tfjs_build.artifact.files import write_artifact
        from tfjs_build.graph.convert import convert_saved_model

        import_tensorflow()
        imported = time.perf_counter()
        report = _phase_report()
        artifact = convert_saved_model(source, report=report)
        converted = time.perf_counter()
        write_artifact(artifact, output)
        written = time.perf_counter()
    spans = [("import", started, imported), *report.spans, ("write", converted, written)]
    return {
        "phases": {p: (end - start, rss.peak_between(start, end) / MIB) for p, start, end in spans},
        "total": written - started,
        "nodes": [report.nodes_before, report.nodes_after],
    }


def _phase_table(phases: dict[str, dict[str, Any]]) -> str:
    names = list(phases)
    header = " | ".join(f"{MODELS[n]}: s | peak MiB" for n in names)
    lines = [f"| phase | {header} |", "|---" * (1 + 2 * len(names)) + "|"]
    for phase in PHASES:
        cells = []
        for name in names:
            seconds, peak = phases[name]["phases"].get(phase, (0.0, 0.0))
            cells.append(f"{seconds:.2f} | {peak:,.0f}")
        lines.append(f"| {phase} | {' | '.join(cells)} |")
    totals = " | ".join(
        f"**{phases[n]['total']:.2f}** | **{max(p for _, p in phases[n]['phases'].values()):,.0f}**"
        for n in names
    )
    lines.append(f"| **the process** | {totals} |")
    nodes = " | ".join(f"{a:,} \u2192 {b:,} | " for a, b in (phases[n]["nodes"] for n in names))
    lines.append(f"| nodes before \u2192 after | {nodes}|")
    return "\n".join(lines)


def _machine() -> str:
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "?")
    return f"{cpu}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="counted rounds (after one warm-up)")
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), help="these models only")
    parser.add_argument(
        "--loader",
        action="store_true",
        help="also convert through tf.saved_model.load (the path before reading the files)",
    )
    parser.add_argument("--phases", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:
        print(json.dumps(_phases_in_this_process(*args.phases)))
        return
    sources = {name: _export(name) for name in args.only or MODELS}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-graph-floor-") as scratch:
        kinds = ("floor", "convert", "loader") if args.loader else ("floor", "convert")
        results = _interleaved(sources, args.runs, Path(scratch), kinds)
        phases = {}
        for name, source in sources.items():
            out = subprocess.run(
                [sys.executable, __file__, "--phases", str(source), f"{scratch}/{name}-phases"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            phases[name] = json.loads(out.strip().splitlines()[-1])
    load_after = os.getloadavg()
    print(
        f"Machine: {_machine()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after; {args.runs} rounds after a warm-up\n"
    )
    print(_whole_process_table(results))
    print()
    print(_phase_table(phases))


if __name__ == "__main__":
    main()
