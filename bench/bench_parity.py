"""Parity benchmarks: seconds per backend for a MobileNetV2-sized model, and tolerance measurements.

    python bench/bench_parity.py               # parity seconds, MobileNetV2 224x224 (cpu, wasm),
                                               # layers and graph artifacts from our converters
    python bench/bench_parity.py --tolerances  # errors per quantization, the data behind the
                                               # defaults in tfjs_build/parity/tolerances.py
    python bench/bench_parity.py --mixed-precision  # errors of float32 TF.js against sources
                                                    # computing in mixed_float16/mixed_bfloat16
    python bench/bench_parity.py --explain     # what localizing a divergence costs: a failing
                                               # MobileNetV2 checked with and without it, in turns

For the tolerance measurements, artifacts are written by hand from tf_keras models
(tests/parity/handmade.py), so those numbers do not depend on a converter.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from tfjs_build.artifact import read_model_json  # noqa: E402
from tfjs_build.parity import check_parity, make_probes  # noqa: E402
from tfjs_build.parity.model_io import output_names  # noqa: E402
from tfjs_build.parity.reference import run_reference  # noqa: E402
from tfjs_build.runtime import RuntimePool  # noqa: E402


def _handmade() -> Any:
    spec = importlib.util.spec_from_file_location("handmade", REPO / "tests/parity/handmade.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _randomize_batchnorm(model: Any, seed: int = 0) -> None:
    """Give BatchNormalization layers non-trivial statistics, as trained models have."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
                    rng.normal(0, 0.1, beta.shape).astype("float32"),
                    rng.normal(0, 0.1, mean.shape).astype("float32"),
                    rng.uniform(0.5, 1.5, var.shape).astype("float32"),
                ]
            )


def mlp() -> Any:
    import tf_keras as K

    x = K.Input((32,), name="features")
    h = K.layers.Dense(128, activation="relu")(x)
    h = K.layers.Dense(64, activation="tanh")(h)
    logits = K.layers.Dense(10, name="logits")(h)
    probs = K.layers.Softmax(name="probs")(logits)
    return K.Model(x, [logits, probs])


def cnn() -> Any:
    import tf_keras as K

    x = K.Input((32, 32, 3), name="image")
    h = K.layers.Conv2D(16, 3, activation="relu")(x)
    h = K.layers.BatchNormalization()(h)
    h = K.layers.MaxPooling2D()(h)
    h = K.layers.Conv2D(32, 3, activation="relu")(h)
    h = K.layers.BatchNormalization()(h)
    h = K.layers.GlobalAveragePooling2D()(h)
    return K.Model(x, K.layers.Dense(10, activation="softmax", name="probs")(h))


def text_lstm() -> Any:
    import tf_keras as K

    x = K.Input((20,), dtype="int32", name="tokens")
    h = K.layers.Embedding(1000, 16)(x)
    h = K.layers.LSTM(32)(h)
    return K.Model(x, K.layers.Dense(5, activation="softmax", name="probs")(h))


def mobilenet_v2(size: int = 96, activation: str | None = "softmax") -> Callable[[], Any]:
    def build() -> Any:
        import tf_keras as K

        return K.applications.MobileNetV2(
            weights=None, input_shape=(size, size, 3), classifier_activation=activation
        )

    return build


def scaled_logits(build: Callable[[], Any], factor: float) -> Callable[[], Any]:
    """``build``'s model with its last layer's kernel times ``factor``: trained-sized logits."""

    def scaled() -> Any:
        model = build()
        kernel, *rest = model.layers[-1].get_weights()
        model.layers[-1].set_weights([kernel * factor, *rest])
        return model

    return scaled


def heavy_tailed(build: Callable[[], Any], seed: int = 0) -> Callable[[], Any]:
    """``build``'s model with Student-t (3 degrees of freedom) kernels of the same spread: the
    outliers trained weights have, which stretch the uint8/uint16 grid."""

    def heavy() -> Any:
        model = build()
        rng = np.random.default_rng(seed)
        for layer in model.layers:
            weights = layer.get_weights()
            if weights and type(layer).__name__ in ("Conv2D", "DepthwiseConv2D", "Dense"):
                kernel = weights[0]
                spread = kernel.std() / np.sqrt(3.0)  # a t(3) variable has variance 3
                weights[0] = (rng.standard_t(3, kernel.shape) * spread).astype("float32")
                layer.set_weights(weights)
        return model

    return heavy


MODELS: dict[str, Callable[[], Any]] = {
    "mlp": mlp,
    "cnn": cnn,
    "text_lstm": text_lstm,
    "mobilenet_v2_96": mobilenet_v2(96),
    "mobilenet_v2_96_logits": mobilenet_v2(96, None),
    "mobilenet_v2_96_logits_x30": scaled_logits(mobilenet_v2(96, None), 30.0),
    "mobilenet_v2_96_x30": scaled_logits(mobilenet_v2(96), 30.0),
    "mobilenet_v2_224_logits_x30": scaled_logits(mobilenet_v2(224, None), 30.0),
    "mobilenet_v2_96_logits_heavy": heavy_tailed(mobilenet_v2(96, None)),
    "cnn_heavy": heavy_tailed(cnn),
}
QUANTIZATIONS = (None, "float16", "uint16", "uint8")
RTOLS = (1e-3, 1e-2, 5e-2)


def measure_tolerances(
    seeds: int, models: list[str], backends: list[str], quantizations: list[str]
) -> None:
    """Print per model, quantization, backend and output the worst errors over ``seeds`` probes."""
    handmade = _handmade()
    wanted = [None if q == "float32" else q for q in quantizations]
    print("model quant backend output max|ref| max_abs max_abs/max|ref| atol@rtol" + str(RTOLS))
    with tempfile.TemporaryDirectory() as scratch, RuntimePool() as pool:
        for model_name in models:
            model = MODELS[model_name]()
            _randomize_batchnorm(model)
            source = Path(scratch) / f"{model_name}.h5"
            model.save(source)
            arts = {
                q: handmade.write_layers_artifact(
                    model, Path(scratch) / f"{model_name}-{q}", quantization=q
                )
                for q in wanted
            }
            model_json = read_model_json(arts[None])
            names = output_names(model_json)
            stats: dict[tuple[Any, str, str], list[np.ndarray]] = {}
            for seed in range(seeds):
                probes = make_probes(model_json, seed=seed)
                reference = run_reference(source, probes, names, graph=False).outputs
                for q, art in arts.items():
                    for backend in backends:
                        candidate = pool.get(backend).run(art, probes, names)
                        for name in names:
                            ref = reference[name].astype(np.float64)
                            diff = np.abs(candidate[name] - ref)
                            row = [np.abs(ref).max(), diff.max()]
                            row += [np.maximum(diff - r * np.abs(ref), 0).max() for r in RTOLS]
                            stats.setdefault((q, backend, name), []).append(np.array(row))
            for (q, backend, name), rows in stats.items():
                worst = np.max(rows, axis=0)
                print(
                    f"{model_name} {q or 'float32'} {backend} {name} {worst[0]:.3g} {worst[1]:.3g} "
                    f"{worst[1] / worst[0]:.3g} " + " ".join(f"{v:.3g}" for v in worst[2:]),
                    flush=True,
                )


def _keras3_mobilenet_v2(size: int = 96) -> Callable[[], Any]:
    def build() -> Any:
        import keras

        return keras.applications.MobileNetV2(
            weights=None, input_shape=(size, size, 3), classifier_activation=None
        )

    return build


MIXED_MODELS: dict[str, Callable[[], Any]] = {
    "mlp": mlp,
    "cnn": cnn,
    "text_lstm": text_lstm,
    "mobilenet_v2_96_logits": mobilenet_v2(96, None),
    "mobilenet_v2_96_logits_x30": scaled_logits(mobilenet_v2(96, None), 30.0),
    "keras3_mobilenet_v2_96_logits": _keras3_mobilenet_v2(96),
}


def _set_policy(policy: str) -> None:
    import keras
    import tf_keras

    keras.mixed_precision.set_global_policy(policy)
    tf_keras.mixed_precision.set_global_policy(policy)


def measure_mixed_precision(seeds: int, models: list[str], policies: list[str]) -> None:
    """Print per model, policy, backend and output the worst scale error ``max|diff| / max|ref|``
    of the float32 layers artifact (tfjs-build's converter) against the mixed precision source."""
    from tfjs_build.artifact import write_artifact
    from tfjs_build.layers import convert_keras_to_layers
    from tfjs_build.runtime.tfjs import run_in_tfjs

    print("model policy backend output max|ref| max_abs max_abs/max|ref|")
    with tempfile.TemporaryDirectory() as scratch:
        for model_name in models:
            for policy in policies:
                _set_policy(policy)
                try:
                    model = MIXED_MODELS[model_name]()
                finally:
                    _set_policy("float32")
                _randomize_batchnorm(model)
                source = Path(scratch) / f"{model_name}-{policy}.h5"
                model.save(source)
                art = Path(scratch) / f"{model_name}-{policy}"
                write_artifact(convert_keras_to_layers(source), art)
                model_json = read_model_json(art)
                names = output_names(model_json)
                stats: dict[tuple[str, str], list[np.ndarray]] = {}
                for seed in range(seeds):
                    probes = make_probes(model_json, seed=seed)
                    reference = run_reference(source, probes, names, graph=False).outputs
                    for backend in ("cpu", "wasm"):
                        candidate = run_in_tfjs(art, probes, backend=backend, outputs=names)
                        for name in names:
                            ref = reference[name].astype(np.float64)
                            diff = np.abs(candidate[name] - ref)
                            row = np.array([np.abs(ref).max(), diff.max()])
                            stats.setdefault((backend, name), []).append(row)
                for (backend, name), rows in stats.items():
                    worst = np.max(rows, axis=0)
                    print(
                        f"{model_name} {policy} {backend} {name} {worst[0]:.3g} {worst[1]:.3g} "
                        f"{worst[1] / worst[0]:.3g}",
                        flush=True,
                    )


def bench_seconds(size: int, repeats: int, formats: list[str]) -> None:
    """Time check_parity on Keras 3 MobileNetV2 (``size`` x ``size``) per format and backend."""
    import keras

    from tfjs_build.artifact import write_artifact
    from tfjs_build.graph import convert_keras_to_graph
    from tfjs_build.layers import convert_keras_to_layers

    converters = {"layers": convert_keras_to_layers, "graph": convert_keras_to_graph}
    model = keras.applications.MobileNetV2(weights=None, input_shape=(size, size, 3))
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "mobilenet_v2.keras"
        model.save(source)
        print(f"MobileNetV2 {size}x{size}, {model.count_params():,} parameters, probes of batch 2")
        for fmt in formats:
            art = Path(scratch) / fmt
            write_artifact(converters[fmt](source), art)
            for backend in ("cpu", "wasm"):
                for _ in range(repeats):
                    started = time.perf_counter()
                    report = check_parity(art, source, backends=(backend,))
                    total = time.perf_counter() - started
                    reference, tfjs = report.seconds["reference"], report.seconds[backend]
                    print(
                        f"{fmt} {backend}: check_parity {total:.2f} s (probes + reference "
                        f"{reference:.2f} s, TF.js {tfjs:.2f} s), passed={report.passed}",
                        flush=True,
                    )


def _corrupt_middle_kernel(artifact_dir: Path, target: Path) -> str:
    """Copy ``artifact_dir`` to ``target`` with its middle 4-D weight negated and tripled; return
    its name."""
    from tfjs_build.artifact import read_artifact, write_artifact

    artifact = read_artifact(artifact_dir)
    kernels = [name for name, value in artifact.weights if value.ndim == 4]
    middle = kernels[len(kernels) // 2]
    artifact.weights = [(n, w * -3.0 if n == middle else w) for n, w in artifact.weights]
    write_artifact(artifact, target)
    return middle


def bench_explain(size: int, repeats: int, formats: list[str], backends: list[str]) -> None:
    """Time check_parity on a MobileNetV2 whose middle kernel is corrupted, without localizing
    (``never``) and with it (``always``: the same work as a failing check's), in turns; print
    the seconds and what it named."""
    import keras

    from tfjs_build.artifact import write_artifact
    from tfjs_build.graph import convert_keras_to_graph
    from tfjs_build.layers import convert_keras_to_layers

    converters = {"layers": convert_keras_to_layers, "graph": convert_keras_to_graph}
    model = keras.applications.MobileNetV2(
        weights=None, input_shape=(size, size, 3), classifier_activation=None
    )
    _randomize_batchnorm(model)  # logits of a model with statistics: a wrong kernel shows
    with tempfile.TemporaryDirectory() as scratch, RuntimePool() as pool:
        source = Path(scratch) / "mobilenet_v2.keras"
        model.save(source)
        print(f"MobileNetV2 {size}x{size}, middle kernel x-3, probes of batch 2", flush=True)
        for fmt in formats:
            good = Path(scratch) / fmt
            write_artifact(converters[fmt](source), good)
            weight = _corrupt_middle_kernel(good, Path(scratch) / f"{fmt}-bad")
            for backend in backends:
                times: dict[str, list[float]] = {"never": [], "always": []}
                named = ""
                for _ in range(repeats):
                    for mode in ("never", "always"):
                        started = time.perf_counter()
                        report = check_parity(
                            Path(scratch) / f"{fmt}-bad",
                            source,
                            backends=(backend,),
                            runtimes=pool,
                            explain=mode,  # type: ignore[arg-type]
                        )
                        times[mode].append(time.perf_counter() - started)
                        found = report.results[0].divergence
                        if found is not None:
                            verdict = "passed" if report.passed else "FAILED"
                            named = f"parity {verdict}; {found.describe()}"
                plain, explained = min(times["never"]), min(times["always"])
                print(
                    f"{fmt} {backend}: check {plain:.2f} s, with localizing {explained:.2f} s "
                    f"(+{explained - plain:.2f} s, x{explained / plain:.2f}); corrupted {weight}; "
                    f"{named}",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerances", action="store_true", help="measure errors per quantization")
    parser.add_argument(
        "--mixed-precision", action="store_true", help="measure errors of mixed precision sources"
    )
    parser.add_argument(
        "--explain", action="store_true", help="time localizing a divergence (failing model)"
    )
    parser.add_argument("--policies", nargs="*", default=["mixed_float16", "mixed_bfloat16"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--backends", nargs="*", default=["cpu", "wasm"])
    parser.add_argument(
        "--quantizations", nargs="*", default=[q or "float32" for q in QUANTIZATIONS]
    )
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--formats", nargs="*", default=["layers", "graph"])
    args = parser.parse_args(argv)
    if args.tolerances:
        measure_tolerances(args.seeds, args.models, args.backends, args.quantizations)
    elif args.explain:
        bench_explain(args.size, args.repeats, args.formats, args.backends)
    elif args.mixed_precision:
        names = [m for m in args.models if m in MIXED_MODELS] or list(MIXED_MODELS)
        measure_mixed_precision(args.seeds, names, args.policies)
    else:
        bench_seconds(args.size, args.repeats, args.formats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
