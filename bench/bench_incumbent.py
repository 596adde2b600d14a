"""Benchmark: tfjs-build side by side with the incumbent ``tensorflowjs_converter`` 4.22.

Run:  python bench/bench_incumbent.py --install    # once: build/incumbent-venv with tensorflowjs
      python bench/bench_incumbent.py [--runs 3] [--repeats 3] [--only NAME ...]

``--install`` makes a virtual environment of its own and installs the incumbent into it with pip
(it downloads TensorFlow, JAX and more: a few GB, minutes); nothing else here downloads anything.
The benchmark builds five models with this environment's TensorFlow and Keras (a small Keras 3
``.keras``, Keras 3 ResNet50 as ``.keras`` (98 MB), a tf_keras ``.h5``, MobileNetV2 and ResNet50
exported as SavedModels; weights random, ``weights=None``), converts each with both tools in turns
(tfjs-build first on even runs, the incumbent first on odd ones), each conversion a whole process
under GNU time (wall, user + system CPU, peak RSS), then loads each tool's last artifact in TF.js
(Node, cpu and wasm) and times loading and predicting, comparing the outputs with TensorFlow's on
the same input. tfjs-build runs with ``--no-parity``: the incumbent checks nothing either.
Results: a Markdown table on stdout and ``build/incumbent-bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "build" / "incumbent-venv"
WORK = ROOT / "build" / "incumbent-bench"
INCUMBENT_PACKAGES = ("tensorflowjs==4.22.0", "ydf<0.16")
"""Without the ydf pin the install succeeds, but every command dies at import (protobuf VersionError)."""
TOOLS = ("tfjs-build", "incumbent")
BACKENDS = ("cpu", "wasm")
MATCH_TOLERANCE = 1e-3
"""Largest output difference, relative to the largest reference output, that counts as a match."""


@dataclass(frozen=True)
class Model:
    """A benchmark model: how to build it, how the incumbent is told its format, its input."""

    name: str
    source: str
    build: Callable[[Path, np.ndarray], np.ndarray]
    incumbent_args: tuple[str, ...]
    input_shape: tuple[int, ...]


def _calibrated(model: Any, batch_norm: type, x: np.ndarray) -> Any:
    """``model`` with batch-norm statistics taken from one random batch: with the initial ones,
    an untrained MobileNetV2's activations fade to 1e-11 and every output is 0.001, which any
    artifact would match."""
    layers: list[Any] = [
        layer for layer in model._flatten_layers() if isinstance(layer, batch_norm)
    ]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    batch = np.random.default_rng(1).uniform(0.0, 1.0, (4, *x.shape[1:])).astype("float32")
    model(batch, training=True)
    for layer, momentum in zip(layers, momenta, strict=True):
        layer.momentum = momentum
    return model


def _save_keras3(model: Any, path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    _calibrated(model, keras.layers.BatchNormalization, x).save(path)
    return np.asarray(model(x, training=False))


def _small_keras3(path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    inputs = keras.Input((32, 32, 3), name="image")
    h = keras.layers.Conv2D(16, 3, padding="same")(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(h)
    return _save_keras3(keras.Model(inputs, outputs), path, x)


def _resnet50_keras3(path: Path, x: np.ndarray) -> np.ndarray:
    import keras

    return _save_keras3(keras.applications.ResNet50(weights=None), path, x)


def _tf_keras_h5(path: Path, x: np.ndarray) -> np.ndarray:
    import tf_keras

    model = tf_keras.applications.MobileNetV2(weights=None, input_shape=(128, 128, 3))
    _calibrated(model, tf_keras.layers.BatchNormalization, x).save(path)
    return np.asarray(model(x, training=False))


def _exported(application: str) -> Callable[[Path, np.ndarray], np.ndarray]:
    def build(path: Path, x: np.ndarray) -> np.ndarray:
        import keras
        import tensorflow as tf

        model = getattr(keras.applications, application)(weights=None)
        _calibrated(model, keras.layers.BatchNormalization, x).export(str(path), verbose=False)
        outputs = tf.saved_model.load(str(path)).signatures["serving_default"](tf.constant(x))
        return np.asarray(next(iter(outputs.values())))

    return build


SAVED_MODEL_ARGS = ("--input_format=tf_saved_model", "--output_format=tfjs_graph_model")
KERAS3_ARGS = ("--input_format=keras_keras", "--output_format=tfjs_layers_model")
MODELS = (
    Model("small Keras 3", "small.keras", _small_keras3, KERAS3_ARGS, (2, 32, 32, 3)),
    Model("ResNet50 Keras 3", "resnet50.keras", _resnet50_keras3, KERAS3_ARGS, (1, 224, 224, 3)),
    Model("tf_keras MobileNetV2 .h5", "mobilenet_v2.h5", _tf_keras_h5, ("--input_format=keras", "--output_format=tfjs_layers_model"), (1, 128, 128, 3)),
    Model("MobileNetV2 SavedModel", "mobilenet_v2_saved_model", _exported("MobileNetV2"), SAVED_MODEL_ARGS, (1, 224, 224, 3)),
    Model("ResNet50 SavedModel", "resnet50_saved_model", _exported("ResNet50"), SAVED_MODEL_ARGS, (1, 224, 224, 3)),
)  # fmt: skip


def install() -> int:
    """Create the incumbent's virtual environment and install it (this downloads)."""
    if not VENV.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", *INCUMBENT_PACKAGES]
    return subprocess.run(pip, check=False).returncode


def _incumbent_converter() -> Path | None:
    converter = VENV / "bin" / "tensorflowjs_converter"
    return converter if converter.exists() else None


def output_dir(root: Path, source: Path) -> Path:
    """Where a tool writes ``source``'s artifact under ``root``: a directory whose name does not
    end in ``.keras`` or ``.h5`` (tfjs-build reads such an output as a Keras file to write)."""
    return root / source.name.replace(".", "_")


def _command(tool: str, model: Model, source: Path, output: Path) -> list[str]:
    if tool == "tfjs-build":
        return [
            sys.executable,
            "-m",
            "tfjs_build",
            "convert",
            str(source),
            str(output),
            "--no-parity",
        ]
    return [str(_incumbent_converter()), *model.incumbent_args, str(source), str(output)]


def _timed(command: list[str], log: Path) -> dict[str, Any]:
    """Run ``command`` as a whole process under GNU time: wall and CPU seconds, peak RSS."""
    figures = log.with_suffix(".time")
    with open(log, "w") as out:
        code = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(figures), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    wall, user, system, peak_kib = figures.read_text().split()[-4:]
    return {
        "exit": code,
        "wall_s": float(wall),
        "cpu_s": float(user) + float(system),
        "peak_mib": int(peak_kib) / 1024,
    }


def _artifact_facts(directory: Path) -> dict[str, Any]:
    document = json.loads((directory / "model.json").read_text())
    topology = document.get("modelTopology") or {}
    size = sum(f.stat().st_size for f in directory.iterdir() if f.is_file())
    if "node" in topology:
        functions = topology.get("library", {}).get("function", [])
        nodes = len(topology["node"]) + sum(len(f.get("nodeDef", [])) for f in functions)
        return {"size_mb": size / 1e6, "nodes": nodes}
    config = topology.get("model_config", topology).get("config", {})
    return {"size_mb": size / 1e6, "layers": len(config.get("layers", []))}


def _run_tfjs(directory: Path, backend: str, input_spec: Path, repeats: int) -> dict[str, Any]:
    from tfjs_build.runtime.node_packages import ensure_node_packages, node_executable

    script = Path(__file__).with_name("tfjs_timing.js")
    command = [node_executable(), str(script), str(ensure_node_packages())]
    result = subprocess.run(
        [*command, backend, str(directory), str(input_spec), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if not lines:
        return {"error": (result.stderr.strip().splitlines() or ["no output"])[-1]}
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _compare(report: dict[str, Any], reference: np.ndarray) -> dict[str, Any]:
    if "error" in report:
        return {"loads": False, "error": report["error"][:200]}
    got = np.asarray(report["outputs"][0], dtype="float64").reshape(-1)
    want = reference.astype("float64").reshape(-1)
    if got.shape != want.shape:
        return {
            "loads": True,
            "matches": False,
            "error": f"{got.size} outputs, expected {want.size}",
        }
    error = float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-6))
    return {
        "loads": True,
        "matches": error <= MATCH_TOLERANCE,
        "relative_error": error,
        "load_ms": report["load_ms"],
        "first_predict_ms": report["first_predict_ms"],
        "predict_ms": statistics.median(report["predict_ms"]) if report["predict_ms"] else None,
    }


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    with open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    with open("/proc/meminfo") as meminfo:
        total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {
        "cpu": names[0] if names else cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(total_kib / 1024 / 1024, 1),
        "load_average": os.getloadavg(),
    }


def _build_models(models: list[Model]) -> dict[str, tuple[Path, Path, np.ndarray]]:
    """Each model's source, its input spec file, and TensorFlow's output for that input."""
    from tfjs_build._optional import import_tensorflow

    import_tensorflow()
    sources = WORK / "models"
    sources.mkdir(parents=True, exist_ok=True)
    built = {}
    rng = np.random.default_rng(0)
    for model in models:
        x = rng.uniform(0.0, 1.0, model.input_shape).astype("float32")
        source = sources / model.source
        if source.exists():
            shutil.rmtree(source) if source.is_dir() else source.unlink()
        reference = model.build(source, x)
        raw = sources / f"{source.name}.input.bin"
        raw.write_bytes(x.tobytes())
        spec = sources / f"{source.name}.input.json"
        spec.write_text(json.dumps({"shape": list(x.shape), "file": str(raw)}))
        built[model.name] = (source, spec, reference)
        print(f"built {model.name}: {source.name}", file=sys.stderr)
    return built


def _convert_all(
    models: list[Model], built: dict[str, tuple[Path, Path, np.ndarray]], runs: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    conversions: dict[str, dict[str, list[dict[str, Any]]]] = {
        m.name: {t: [] for t in TOOLS} for m in models
    }
    for run in range(runs):
        for model in models:
            source = built[model.name][0]
            for tool in TOOLS if run % 2 == 0 else TOOLS[::-1]:
                output = output_dir(WORK / "out" / tool, source)
                if output.exists() and tool == "incumbent":
                    shutil.rmtree(output)
                output.parent.mkdir(parents=True, exist_ok=True)
                figures = _timed(
                    _command(tool, model, source, output), output.parent / f"{source.name}.log"
                )
                conversions[model.name][tool].append(figures)
                print(f"run {run + 1} {model.name} {tool}: {figures}", file=sys.stderr)
    return conversions


def _median(values: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(v[key] for v in values))


def _summarize(
    models: list[Model],
    built: dict[str, tuple[Path, Path, np.ndarray]],
    conversions: dict[str, dict[str, list[dict[str, Any]]]],
    repeats: int,
) -> list[dict[str, Any]]:
    rows = []
    for model in models:
        source, spec, reference = built[model.name]
        for tool in TOOLS:
            done = conversions[model.name][tool]
            output = output_dir(WORK / "out" / tool, source)
            row: dict[str, Any] = {
                "model": model.name,
                "tool": tool,
                "exit": [d["exit"] for d in done],
            }
            for key in ("wall_s", "cpu_s", "peak_mib"):
                row[key] = _median(done, key)
            if (output / "model.json").exists():
                row.update(_artifact_facts(output))
                for backend in BACKENDS:
                    row[backend] = _compare(_run_tfjs(output, backend, spec, repeats), reference)
            rows.append(row)
            print(f"{model.name} {tool}: {row}", file=sys.stderr)
    return rows


def _cell(result: dict[str, Any] | None) -> str:
    if not result:
        return "no artifact"
    if not result["loads"]:
        return "fails to load"
    if not result["matches"]:
        return f"wrong outputs ({result.get('relative_error', 0):.1e})"
    return f"{result['load_ms']:.0f} / {result['predict_ms']:.0f} ms"


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| model | tool | wall s | CPU s | peak MiB | size MB | nodes / layers | TF.js cpu load / predict | TF.js wasm load / predict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        count = f"{row['nodes']} nodes" if "nodes" in row else f"{row.get('layers', '?')} layers"
        size = f"{row['size_mb']:.3g}" if "size_mb" in row else "-"
        lines.append(
            f"| {row['model']} | {row['tool']} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['peak_mib']:.0f} "
            f"| {size} | {count} | {_cell(row.get('cpu'))} | {_cell(row.get('wasm'))} |"
        )
    lines += [
        "",
        "| model | wall (incumbent / tfjs-build) | CPU | peak memory |",
        "|---|---|---|---|",
    ]
    for ours, theirs in zip(rows[::2], rows[1::2], strict=True):
        ratios = [theirs[k] / ours[k] for k in ("wall_s", "cpu_s", "peak_mib")]
        lines.append(f"| {ours['model']} | " + " | ".join(f"{r:.1f}x" for r in ratios) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--install", action="store_true", help="create the incumbent's venv (downloads)"
    )
    parser.add_argument("--runs", type=int, default=3, help="conversions per tool and model")
    parser.add_argument("--repeats", type=int, default=3, help="timed predictions per TF.js run")
    parser.add_argument("--only", action="append", help="benchmark only this model (repeatable)")
    args = parser.parse_args()
    if args.install:
        return install()
    if _incumbent_converter() is None:
        print(
            f"skipped: {VENV} has no incumbent converter; install it with --install",
            file=sys.stderr,
        )
        return 0
    models = [m for m in MODELS if not args.only or m.name in args.only]
    machine = _machine()
    built = _build_models(models)
    conversions = _convert_all(models, built, args.runs)
    rows = _summarize(models, built, conversions, args.repeats)
    machine["load_average_after"] = os.getloadavg()
    (WORK / "results.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    print(f"machine: {machine}\n")
    print(_markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
