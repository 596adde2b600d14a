"""Numeric parity: an artifact's outputs in real TF.js against its source in TensorFlow/Keras.

:func:`check_parity` builds probe inputs from the artifact's ``model.json`` (or takes the user's
samples), runs the source in TensorFlow/Keras and the artifact in TF.js on each backend, and
compares the outputs by name with tolerances that depend on the weights' quantization.
It needs only ``model.json``, the shards and the source, so it checks artifacts made by any
converter.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tfjs_build.artifact import read_model_json
from tfjs_build.errors import RuntimeFailure
from tfjs_build.parity.compare import OutputComparison, compare_outputs
from tfjs_build.parity.model_io import input_specs, model_format, output_names
from tfjs_build.parity.probes import (
    DEFAULT_BATCH,
    DEFAULT_DIM,
    DEFAULT_FLOAT_RANGE,
    ProbeError,
    check_samples,
    load_samples,
    make_probes,
)
from tfjs_build.parity.record import (
    BackendRecord,
    InputsRecord,
    ParityRecord,
    SkippedRecord,
    ToleranceRecord,
    dumps_record,
    skipped_record,
)
from tfjs_build.parity.reference import run_reference
from tfjs_build.parity.report import BackendResult, ParityError, ParityReport, skipped_report
from tfjs_build.parity.tolerances import (
    DEFAULT_TOLERANCES,
    Tolerance,
    artifact_quantization,
    default_tolerance,
    resolve_tolerance,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "ParityError",
    "ParityRecord",
    "ParityReport",
    "ProbeError",
    "SkippedRecord",
    "Tolerance",
    "check_parity",
    "default_tolerance",
    "dumps_record",
    "load_samples",
    "make_probes",
    "resolve_tolerance",
    "skipped_record",
    "skipped_report",
]


def check_parity(
    artifact_dir: Path,
    source: Path,
    *,
    backends: Sequence[str] = ("cpu", "wasm"),
    seed: int = 0,
    samples: Path | None = None,
    tolerance: Tolerance | None = None,
    quantization: str | None = None,
    signature: str = "serving_default",
    allow_unsafe_deserialization: bool = False,
    batch: int = DEFAULT_BATCH,
    dim_default: int = DEFAULT_DIM,
    float_range: tuple[float, float] = DEFAULT_FLOAT_RANGE,
    shapes: Mapping[str, Sequence[int]] | None = None,
) -> ParityReport:
    """Check the artifact in ``artifact_dir`` against ``source`` on every backend in ``backends``.

    Inputs are ``samples`` (``.npy``/``.npz``) when given, else probes for ``seed`` (``batch``,
    ``dim_default`` for other unknown dimensions, ``shapes`` per input name, floats in
    ``float_range``; see :func:`~tfjs_build.parity.probes.make_probes`). The tolerance
    is ``tolerance`` when given, else the default for ``quantization``; ``quantization=None``
    reads it from the artifact's weights manifest (the coarsest quantized dtype it holds).
    ``signature`` names the SavedModel signature the artifact was made from. TF.js failing to run
    the artifact is recorded as a failed backend; a bad source or artifact raises.
    """
    artifact_dir, started = Path(artifact_dir), time.perf_counter()
    model_json = read_model_json(artifact_dir)
    fmt = model_format(model_json)
    specs = input_specs(model_json)
    names = output_names(model_json)
    if samples is not None:
        samples = Path(samples)
        loaded = load_samples(samples, [spec.name for spec in specs])
        inputs = check_samples(loaded, specs, str(samples))
        inputs_record: InputsRecord = {
            "kind": "samples",
            "file": samples.name,
            "sha256": hashlib.sha256(samples.read_bytes()).hexdigest(),
        }
    else:
        inputs = make_probes(
            model_json,
            seed=seed,
            batch=batch,
            dim_default=dim_default,
            float_range=float_range,
            shapes=shapes,
        )
        inputs_record = {
            "kind": "probes",
            "seed": seed,
            "batch": batch,
            "dim_default": dim_default,
            "float_range": [float(float_range[0]), float(float_range[1])],
            "shapes": {name: list(inputs[name].shape) for name in sorted(shapes or {})},
        }
    if quantization is None:
        quantization = artifact_quantization(model_json)
    tolerance = tolerance or default_tolerance(quantization)

    reference = run_reference(
        Path(source),
        inputs,
        names,
        graph=fmt == "graph-model",
        signature=signature,
        allow_unsafe_deserialization=allow_unsafe_deserialization,
    )
    seconds = {"reference": time.perf_counter() - started}
    results = []
    for backend in backends:
        started = time.perf_counter()
        results.append(_run_backend(artifact_dir, backend, inputs, reference.outputs, tolerance))
        seconds[backend] = time.perf_counter() - started

    record: ParityRecord = {
        "skipped": False,
        "passed": all(result.passed for result in results),
        "format": fmt,
        "reference": reference.description,
        "inputs": inputs_record,
        "tolerance": _tolerance_record(tolerance, quantization),
        "backends": [_backend_record(result) for result in results],
    }
    return ParityReport(
        record=record,
        results=tuple(results),
        tolerance=tolerance,
        artifact=str(artifact_dir),
        seconds=seconds,
    )


def _run_backend(
    artifact_dir: Path,
    backend: str,
    inputs: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    tolerance: Tolerance,
) -> BackendResult:
    from tfjs_build.runtime import run_in_tfjs

    try:
        candidate = run_in_tfjs(
            artifact_dir,
            inputs,
            backend=backend,  # type: ignore[arg-type]
            outputs=list(reference),
        )
    except RuntimeFailure as exc:
        return BackendResult(backend, error=" ".join(str(exc).split()))
    comparisons: list[OutputComparison] = compare_outputs(reference, candidate, tolerance)
    return BackendResult(backend, tuple(comparisons))


def _backend_record(result: BackendResult) -> BackendRecord:
    record: BackendRecord = {
        "backend": result.backend,
        "passed": result.passed,
        "outputs": [comparison.to_record() for comparison in result.comparisons],
    }
    if result.error is not None:
        record["error"] = result.error
    return record


def _tolerance_record(tolerance: Tolerance, quantization: str | None) -> ToleranceRecord:
    return {
        "atol": tolerance.atol,
        "rtol": tolerance.rtol,
        "scale_tol": tolerance.scale_tol,
        "min_argmax_agreement": tolerance.min_argmax_agreement,
        "quantization": quantization,
    }
