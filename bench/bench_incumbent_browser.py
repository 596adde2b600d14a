"""Benchmark: tfjs-build's artifacts and the incumbent ``tensorflowjs_converter`` 4.22's, predicting
side by side on webgl (headless Chromium, SwiftShader) and on wasm and cpu (Node).

Run:  python bench/bench_incumbent.py --install          # once: the incumbent's venv
      python bench/bench_incumbent_browser.py            # defaults: 3 rounds, webgl + wasm,
                                                         # the four models listed below
      python bench/bench_incumbent_browser.py --rounds 5 --backends webgl wasm cpu --all

Models are those of ``bench_incumbent.py`` (built once into ``build/incumbent-bench/models`` and
kept; ``--rebuild`` makes them again). Each tool converts each model once per run (the
incumbent's artifact is kept while its source is unchanged); tfjs-build's artifact is made twice,
for its default ``target_backends`` (cpu, wasm, webgl) and for ``target_backends = ["webgl"]``
alone (``tfjs-build/webgl``). Then, in each round, every artifact of a model runs on every
backend, the tools in turns (the order reversed every round): on webgl in a fresh Chromium of its
own (no compiled shader carries over from one artifact to the next), in Node in a fresh process.
Each run times loading, the first prediction (on webgl: compiling the shaders) and the median of
``--warm`` more, and on webgl counts the WebGL programs TF.js compiled; outputs are compared
with TensorFlow's on the same input. With wasm, each graph model's wasm prediction is then
profiled (``tfjs_profile.js``): convolutions, other kernels, the time outside kernels.
Results: Markdown tables on stdout, ``build/incumbent-bench/browser-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_incumbent as incumbent

Variant = tuple[str, tuple[str, ...]]
"""A tool's artifact: its label, and tfjs-build's ``--target-backends`` (empty: the default)."""
VARIANTS: tuple[Variant, ...] = (
    ("tfjs-build", ()),
    ("tfjs-build/webgl", ("webgl",)),
    ("incumbent", ()),
)
DEFAULT_MODELS = (
    "small Keras 3",
    "tf_keras MobileNetV2 .h5",
    "MobileNetV2 SavedModel",
    "ResNet50 SavedModel",
)
Artifacts = dict[str, dict[str, Path]]
"""Each model's artifacts by variant label, in the order they run in even rounds."""
GRAPH_ONLY = "tfjs-build/webgl"
"""``target_backends`` shapes graph models only: for layers models this variant is skipped."""
WORK = incumbent.WORK
SHADERS_COMPILED = "Object.keys(tf.backend().binaryCache).length"
"""WebGL programs TF.js compiled in the page (its cache of them, keyed by shader source and shapes)."""


def _models(names: list[str] | None, rebuild: bool) -> dict[str, tuple[Path, Path, np.ndarray]]:
    """Each model's source, input spec and TensorFlow's output, built once and then kept."""
    wanted = [m for m in incumbent.MODELS if m.name in (names or DEFAULT_MODELS)]
    kept: dict[str, tuple[Path, Path, np.ndarray]] = {}
    missing = []
    for model in wanted:
        source = WORK / "models" / model.source
        spec, reference = _input_spec(source), _reference_file(source)
        if source.exists() and spec.exists() and reference.exists() and not rebuild:
            kept[model.name] = (source, spec, np.load(reference))
        else:
            missing.append(model)
    if missing:
        for name, (source, spec, output) in incumbent._build_models(missing).items():
            np.save(_reference_file(source), output)
            kept[name] = (source, spec, output)
    return {m.name: kept[m.name] for m in wanted}


def _input_spec(source: Path) -> Path:
    return source.with_name(f"{source.name}.input.json")


def _reference_file(source: Path) -> Path:
    return source.with_name(f"{source.name}.reference.npy")


def _is_graph_source(model: incumbent.Model) -> bool:
    return "tfjs_graph_model" in " ".join(model.incumbent_args)


def _variants(model: incumbent.Model) -> list[Variant]:
    return [v for v in VARIANTS if v[0] != GRAPH_ONLY or _is_graph_source(model)]


def _convert(model: incumbent.Model, source: Path, variant: Variant) -> Path:
    """The variant's artifact of ``model`` (the incumbent's kept while newer than its source)."""
    label, targets = variant
    output = incumbent.output_dir(WORK / "browser-out" / label.replace("/", "-"), source)
    tool = "incumbent" if label == "incumbent" else "tfjs-build"
    built = output / "model.json"
    if tool == "incumbent" and built.exists() and built.stat().st_mtime > source.stat().st_mtime:
        return output
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    command = incumbent._command(tool, model, source, output)
    if targets:
        command += ["--target-backends", ",".join(targets)]
    log = output.parent / f"{source.name}.log"
    with open(log, "w") as out:
        subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    print(f"converted {model.name} with {label}", file=sys.stderr)
    return output


def _artifacts(model: incumbent.Model, source: Path) -> dict[str, Path]:
    """Each variant's artifact of ``model`` by label; tfjs-build's webgl-only one only where it
    differs from its default one (else the same artifact would be timed twice)."""
    made = {label: _convert(model, source, (label, targets)) for label, targets in _variants(model)}
    webgl_only = made.get(GRAPH_ONLY)
    if webgl_only is not None and _same_files(webgl_only, made["tfjs-build"]):
        print(f"{model.name}: {GRAPH_ONLY} is the same artifact as tfjs-build", file=sys.stderr)
        del made[GRAPH_ONLY]
    return made


def _same_files(one: Path, other: Path) -> bool:
    names = sorted(p.name for p in one.iterdir())
    if names != sorted(p.name for p in other.iterdir()):
        return False
    return all((one / n).read_bytes() == (other / n).read_bytes() for n in names)


def _input_name(artifact: Path) -> str:
    """The name a run feeds the model's one input by (a layers model takes any one name)."""
    document = json.loads((artifact / "model.json").read_text())
    inputs = (document.get("signature") or {}).get("inputs") or {}
    if inputs:
        return str(next(iter(inputs)))
    nodes = (document.get("modelTopology") or {}).get("node") or []
    placeholders = [n["name"] for n in nodes if n.get("op") == "Placeholder"]
    return placeholders[0] if placeholders else "input"


def _run_webgl(artifact: Path, spec: Path, warm: int) -> dict[str, Any]:
    """Load and predict in a Chromium of its own: nothing compiled for another artifact stays."""
    from tfjs_build.errors import RuntimeFailure
    from tfjs_build.runtime.browser import BrowserRuntime, BrowserSession

    described = json.loads(spec.read_text())
    x = np.fromfile(described["file"], dtype="<f4").reshape(described["shape"])
    session = BrowserSession()
    try:
        runtime = BrowserRuntime(session, "webgl")
        runtime.environment()  # the page and TF.js's backend ready: not part of the timings
        run = runtime.timed_run(artifact, {_input_name(artifact): x}, warm_runs=warm)
        page = runtime._ready_page()  # the same page: what its TF.js compiled for this artifact
        shaders = session.evaluate(page, SHADERS_COMPILED, timeout=30)
    except RuntimeFailure as exc:
        return {"error": str(exc)}
    finally:
        session.close()
    return {
        "load_ms": run.timings["load_ms"],
        "first_predict_ms": run.timings["predict_ms"],
        "predict_ms": [run.timings["warm_predict_ms"]],
        "outputs": [np.asarray(next(iter(run.outputs.values()))).reshape(-1).tolist()],
        "shaders": shaders,
    }


def _run(artifact: Path, backend: str, spec: Path, warm: int) -> dict[str, Any]:
    if backend == "webgl":
        return _run_webgl(artifact, spec, warm)
    return incumbent._run_tfjs(artifact, backend, spec, warm)


def _measure(
    models: dict[str, tuple[Path, Path, np.ndarray]],
    artifacts: Artifacts,
    backends: list[str],
    rounds: int,
    warm: int,
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Every artifact on every backend, ``rounds`` times, the tools in turns."""
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for round_ in range(rounds):
        for model in [m for m in incumbent.MODELS if m.name in models]:
            _, spec, reference = models[model.name]
            order = list(artifacts[model.name].items())
            if round_ % 2:
                order = order[::-1]
            for backend in backends:
                for label, artifact in order:
                    started = time.perf_counter()
                    raw = _run(artifact, backend, spec, warm)
                    result = incumbent._compare(raw, reference)
                    if "shaders" in raw:
                        result["shaders"] = raw["shaders"]
                    results.setdefault((model.name, label, backend), []).append(result)
                    print(
                        f"round {round_ + 1} {model.name} {label} {backend}: "
                        f"{_brief(result)} ({time.perf_counter() - started:.0f} s)",
                        file=sys.stderr,
                    )
    return results


CONVOLUTIONS = ("Conv2D", "FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2D")


def _profile(artifact: Path, spec: Path, runs: int = 5) -> dict[str, Any]:
    """A graph model's wasm prediction kernel by kernel (``tfjs_profile.js``)."""
    from tfjs_build.runtime.node_packages import ensure_node_packages, node_executable

    script = Path(__file__).with_name("tfjs_profile.js")
    command = [node_executable(), str(script), str(ensure_node_packages()), "wasm"]
    result = subprocess.run(
        [*command, str(artifact), str(spec), str(runs)], capture_output=True, text=True, check=False
    )
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"error": result.stderr.strip()[-200:]}


def _profile_table(models: dict[str, tuple[Path, Path, np.ndarray]], artifacts: Artifacts) -> str:
    """Where each graph model's wasm prediction goes: convolutions, other kernels, the rest."""
    lines = [
        "| model | artifact | wasm predict (profiled) | convolutions | other kernels | outside kernels |",
        "|---|---|---|---|---|---|",
    ]
    for name, by_label in artifacts.items():
        for label, artifact in by_label.items():
            if "nodes" not in incumbent._artifact_facts(artifact):
                continue
            found = _profile(artifact, models[name][1])
            if "error" in found:
                lines.append(f"| {name} | {label} | {found['error'][:60]} | | | |")
                continue
            kernels = found["kernels_ms"]
            convolutions = sum(v for k, v in kernels.items() if k in CONVOLUTIONS)
            other = sum(kernels.values()) - convolutions
            rest = found["wall_ms"] - convolutions - other
            lines.append(
                f"| {name} | {label} | {found['wall_ms']:.1f} ms | {convolutions:.1f} ms "
                f"| {other:.1f} ms | {rest:.1f} ms |"
            )
    return "\n".join(lines)


def _brief(result: dict[str, Any]) -> str:
    if not result.get("loads"):
        return f"does not load: {result.get('error', '')[:120]}"
    if not result.get("matches"):
        return f"wrong outputs: {result.get('error') or result.get('relative_error')}"
    return (
        f"load {result['load_ms']:.0f} ms, first {result['first_predict_ms']:.0f} ms, "
        f"warm {result['predict_ms']:.0f} ms"
    )


def _spread(values: list[float]) -> str:
    """Median (min-max) in ms, or seconds from 10 s on."""
    scale, unit = (1000.0, " s") if statistics.median(values) >= 10000 else (1.0, " ms")
    median, low, high = (v / scale for v in (statistics.median(values), min(values), max(values)))
    digits = 1 if unit == " s" else 0
    if len(values) == 1:
        return f"{median:.{digits}f}{unit}"
    return f"{median:.{digits}f}{unit} ({low:.{digits}f}-{high:.{digits}f})"


def _cell(runs: list[dict[str, Any]], key: str) -> str:
    if not runs or not all(r.get("loads") for r in runs):
        return "does not load"
    if not all(r.get("matches") for r in runs):
        return "wrong outputs"
    return _spread([r[key] for r in runs])


def _ratio(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], key: str) -> str:
    """The median of the round-by-round ratios incumbent / tfjs-build."""
    usable = [
        t[key] / o[key]
        for o, t in zip(ours, theirs, strict=True)
        if o.get("matches") and t.get("matches") and o[key] > 0
    ]
    if not usable:
        return "-"
    return f"{statistics.median(usable):.2f}x"


def _count(artifact: Path) -> str:
    if not (artifact / "model.json").exists():
        return "no artifact"
    facts = incumbent._artifact_facts(artifact)
    return f"{facts['nodes']} nodes" if "nodes" in facts else f"{facts['layers']} layers"


def _markdown(
    models: list[incumbent.Model],
    artifacts: Artifacts,
    results: dict[tuple[str, str, str], list[dict[str, Any]]],
    backends: list[str],
) -> str:
    lines = []
    for backend in backends:
        shaders = backend == "webgl"
        lines += [
            f"#### {backend}",
            "",
            "| model | artifact | nodes / layers | load | first predict | warm predict |"
            + (" shaders compiled |" if shaders else ""),
            "|---|---|---|---|---|---|" + ("---|" if shaders else ""),
        ]
        for model in models:
            for label, artifact in artifacts[model.name].items():
                runs = results.get((model.name, label, backend), [])
                cells = [_cell(runs, k) for k in ("load_ms", "first_predict_ms", "predict_ms")]
                count = _count(artifact)
                if shaders:
                    compiled = sorted({r["shaders"] for r in runs if "shaders" in r})
                    cells.append(", ".join(map(str, compiled)) or "-")
                lines.append(f"| {model.name} | {label} | {count} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "Incumbent / tfjs-build (median of the per-round ratios; above 1: tfjs-build is faster):",
        "",
        "| model | artifact | " + " | ".join(f"{b} first | {b} warm" for b in backends) + " |",
        "|---|---|" + "---|---|" * len(backends),
    ]
    for model in models:
        for label in artifacts[model.name]:
            if label == "incumbent":
                continue
            cells = []
            for backend in backends:
                ours = results.get((model.name, label, backend), [])
                theirs = results.get((model.name, "incumbent", backend), [])
                for key in ("first_predict_ms", "predict_ms"):
                    cells.append(_ratio(ours, theirs, key))
            lines.append(f"| {model.name} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of every artifact per backend")
    parser.add_argument("--warm", type=int, default=3, help="timed predictions after the first")
    parser.add_argument(
        "--backends", nargs="+", default=["webgl", "wasm"], choices=("webgl", "wasm", "cpu")
    )
    parser.add_argument("--only", action="append", help="this model only (repeatable)")
    parser.add_argument("--all", action="store_true", help="all five models (ResNet50 Keras 3 too)")
    parser.add_argument("--rebuild", action="store_true", help="build the models again")
    args = parser.parse_args()
    if incumbent._incumbent_converter() is None:
        print(
            f"skipped: no incumbent in {incumbent.VENV}; run bench_incumbent.py --install",
            file=sys.stderr,
        )
        return 0
    names = args.only or ([m.name for m in incumbent.MODELS] if args.all else None)
    machine = incumbent._machine()
    built = _models(names, args.rebuild)
    models = [m for m in incumbent.MODELS if m.name in built]
    artifacts = {m.name: _artifacts(m, built[m.name][0]) for m in models}
    started = time.perf_counter()
    results = _measure(built, artifacts, args.backends, args.rounds, args.warm)
    machine["load_average_after"] = os.getloadavg()
    machine["measure_s"] = round(time.perf_counter() - started)
    document = {"machine": machine, "results": [[*k, v] for k, v in results.items()]}
    (WORK / "browser-results.json").write_text(json.dumps(document, indent=1))
    print(f"machine: {machine}\n")
    print(_markdown(models, artifacts, results, args.backends))
    if "wasm" in args.backends:
        print("\nWhere a wasm prediction goes (tf.profile, 5 predictions after 3 warm-up ones):\n")
        print(_profile_table(built, artifacts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
