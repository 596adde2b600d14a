"""TF.js load and predict times of each model on each backend its parity ran on, measured on the
probe the build stored (no TensorFlow needed)."""

from __future__ import annotations

import dataclasses

from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity.probe_file import read_probe_file
from tfjs_build.report.collect import ModelEntry
from tfjs_build.runtime.pool import RuntimePool
from tfjs_build.runtime.protocol import Timings

WARM_RUNS = 3


def measure_timings(entries: list[ModelEntry], runtimes: RuntimePool) -> list[ModelEntry]:
    """``entries`` with their timings filled in; a backend that cannot run says why."""
    return [_measure(entry, runtimes) for entry in entries]


def _measure(entry: ModelEntry, runtimes: RuntimePool) -> ModelEntry:
    probe = entry.probe
    if probe is None or entry.problem:
        return entry
    inputs, reference = read_probe_file(probe)
    timings: dict[str, Timings | str] = {}
    for backend in entry.checked_backends:
        try:
            run = runtimes.get(backend).timed_run(
                entry.artifact, inputs, list(reference), warm_runs=WARM_RUNS
            )
        except TfjsBuildError as exc:
            timings[backend] = f"not measured: {' '.join(str(exc).split())}"
        else:
            timings[backend] = run.timings
    return dataclasses.replace(entry, timings=timings)
