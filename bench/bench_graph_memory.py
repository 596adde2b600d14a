"""Benchmark: wall time and peak memory per phase of a SavedModel or Keras to graph conversion.

Run: python bench/bench_graph_memory.py [SOURCE] [--runs 1] [--filters-in-grappler]
Without SOURCE it exports Keras 3 ResNet50 (weights=None, 25.6 M parameters, 98 MB of float32)
as a SavedModel into a scratch directory first. A thread samples the process's resident set every
2 ms; each phase's peak is the largest sample taken while it ran (the kernel's high-water mark,
VmHWM, is printed at the end as a check). Phases: load, freeze, prepare, grappler, tfjs_passes,
export (those of ``ConversionReport``), then writing the artifact.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Samples VmRSS in a thread; ``peak_since(mark)`` is the largest sample after ``mark``."""

    def __init__(self, interval: float = 0.002) -> None:
        self.samples: list[tuple[float, int]] = []
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), _status_kib("VmRSS")))
            time.sleep(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float) -> int:
        inside = [kib for t, kib in self.samples if start <= t <= end]
        return max(inside, default=_status_kib("VmRSS")) * 1024


def _phase_report() -> Any:
    """A ConversionReport that also remembers when each phase ran."""
    from tfjs_build.graph.pipeline import ConversionReport

    @dataclass
    class PhaseReport(ConversionReport):
        spans: list[tuple[str, float, float]] = field(default_factory=list)

        @contextmanager
        def timed(self, phase: str) -> Iterator[None]:
            started = time.perf_counter()
            try:
                with super().timed(phase):
                    yield
            finally:
                self.spans.append((phase, started, time.perf_counter()))

    return PhaseReport()


def _export_resnet50(directory: Path) -> Path:
    import keras

    model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3))
    model.export(str(directory / "resnet50"), verbose=False)
    return directory / "resnet50"


def _convert(source: Path, report: Any) -> Any:
    from tfjs_build.graph.convert import convert_keras_to_graph, convert_saved_model

    if source.is_dir():
        return convert_saved_model(source, report=report)
    return convert_keras_to_graph(source, report=report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", nargs="?", type=Path, help="SavedModel directory or Keras file")
    parser.add_argument("--runs", type=int, default=1, help="conversions in this process")
    parser.add_argument(
        "--filters-in-grappler",
        action="store_true",
        help="give Grappler the filters too (the baseline before they were held out)",
    )
    args = parser.parse_args()

    from tfjs_build._optional import import_tensorflow
    from tfjs_build.artifact import write_artifact

    import_tensorflow()  # before the first phase, as tfjs-build imports it (with its settings)

    with tempfile.TemporaryDirectory(prefix="bench-graph-memory-") as scratch, RssSampler() as rss:
        source = args.source or _export_resnet50(Path(scratch))
        if args.filters_in_grappler:
            from tfjs_build.graph import grappler

            grappler.HELD_OUT_BYTES = None
        print(f"before converting: RSS {_status_kib('VmRSS') // 1024} MiB")
        for run in range(1, args.runs + 1):
            report = _phase_report()
            started = time.perf_counter()
            artifact = _convert(source, report)
            convert_end = time.perf_counter()
            write_artifact(artifact, Path(scratch) / f"out{run}")
            written = time.perf_counter()
            del artifact
            spans = [*report.spans, ("write", convert_end, written)]
            print(
                f"run {run}: convert {convert_end - started:.2f} s, write {written - convert_end:.2f} s, "
                f"peak RSS {rss.peak_between(started, written) // MIB} MiB, "
                f"nodes {report.nodes_before} -> {report.nodes_after}"
            )
            for phase, start, end in spans:
                print(
                    f"  {phase:<12} {end - start:6.2f} s  peak {rss.peak_between(start, end) // MIB:5d} MiB"
                )
        print(
            f"after: RSS {_status_kib('VmRSS') // 1024} MiB, high-water mark {_status_kib('VmHWM') // 1024} MiB"
        )


if __name__ == "__main__":
    main()
