"""Benchmark: convert a MobileNetV2-sized SavedModel (Keras 3 ``model.export``, weights=None).

Run: python bench/bench_graph_convert.py [--runs 3]
Prints the TensorFlow import time (apart), the seconds per conversion (the first one pays for
loading TensorFlow's lazily built parts, later ones show the steady state of converting several
models in one process), node counts before and after optimization, and what the TF.js passes did.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="conversions of the same SavedModel")
    args = parser.parse_args()

    started = time.perf_counter()
    import tensorflow as tf  # noqa: F401  (timed on purpose)

    import_seconds = time.perf_counter() - started
    import keras

    from tfjs_build.artifact import write_artifact
    from tfjs_build.graph import convert_saved_model
    from tfjs_build.graph.pipeline import ConversionReport

    with tempfile.TemporaryDirectory(prefix="bench-graph-") as scratch:
        saved_model = Path(scratch) / "mobilenet_v2"
        started = time.perf_counter()
        model = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
        model.export(str(saved_model), verbose=False)
        export_seconds = time.perf_counter() - started
        print(f"tensorflow import: {import_seconds:.2f} s (not part of conversion)")
        print(
            f"build + export MobileNetV2 ({model.count_params():,} parameters): {export_seconds:.2f} s"
        )
        for run in range(1, args.runs + 1):
            report = ConversionReport()
            started = time.perf_counter()
            artifact = convert_saved_model(saved_model, report=report)
            convert_seconds = time.perf_counter() - started
            started = time.perf_counter()
            write_artifact(artifact, Path(scratch) / f"out{run}")
            write_seconds = time.perf_counter() - started
            print(
                f"run {run}: convert {convert_seconds:.2f} s, write {write_seconds:.2f} s, "
                f"nodes {report.nodes_before} -> {report.nodes_after}, fused kept {report.fused_kept}, "
                f"split {report.fused_split}, added {report.fused_added}, rewrites {report.rewrites or '{}'}"
            )
            print(
                "       phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items())
            )


if __name__ == "__main__":
    main()
