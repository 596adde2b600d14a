"""Run a parity check: inputs, the reference in TensorFlow/Keras, each backend in TF.js."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tfjs_build.artifact.checks import check_shard_files
from tfjs_build.artifact.files import read_model_json
from tfjs_build.artifact.format import GRAPH_FORMAT, MODEL_JSON, artifact_format
from tfjs_build.backends import DEFAULT_PARITY_BACKENDS, PARITY_BACKENDS
from tfjs_build.errors import RuntimeFailure, TfjsBuildError
from tfjs_build.options import Origin
from tfjs_build.parity.compare import compare_outputs
from tfjs_build.parity.localize import ExplainMode, localize_divergence
from tfjs_build.parity.model_io import input_specs, output_names
from tfjs_build.parity.precision import source_compute_dtype
from tfjs_build.parity.probes import (
    DEFAULT_BATCH,
    DEFAULT_DIM,
    DEFAULT_FLOAT_RANGE,
    check_samples,
    load_samples,
    make_probes,
)
from tfjs_build.parity.record import (
    BackendRecord,
    InputsRecord,
    ParityRecord,
    ToleranceRecord,
)
from tfjs_build.parity.reference import ReferenceResult, run_reference
from tfjs_build.parity.report import BackendResult, ParityReport, Probe
from tfjs_build.parity.tolerances import Tolerance, ToleranceOverrides, artifact_quantization
from tfjs_build.parity.vocabulary import Vocabulary, generated_vocabulary, string_vocabulary
from tfjs_build.tfjs_versions import PINNED

if TYPE_CHECKING:
    from tfjs_build.runtime.pool import RuntimePool
    from tfjs_build.runtime.protocol import TfjsRuntime


def check_parity(
    artifact_dir: Path,
    source: Path,
    *,
    backends: Sequence[str] = DEFAULT_PARITY_BACKENDS,
    seed: int = 0,
    samples: Path | None = None,
    tolerance: Tolerance | None = None,
    overrides: ToleranceOverrides | None = None,
    quantization: str | None = None,
    signature: str = "serving_default",
    allow_unsafe_deserialization: bool = False,
    imports: Sequence[str] = (),
    project_root: Path | None = None,
    batch: int = DEFAULT_BATCH,
    dim_default: int = DEFAULT_DIM,
    float_range: tuple[float, float] = DEFAULT_FLOAT_RANGE,
    shapes: Mapping[str, Sequence[int]] | None = None,
    label: str | None = None,
    origin: Origin = "python",
    runtimes: RuntimePool | None = None,
    explain: ExplainMode = "on_failure",
    tfjs_version: str = PINNED,
) -> ParityReport:
    """Check the artifact in ``artifact_dir`` against ``source`` on every backend in ``backends``.

    Inputs are ``samples`` (``.npy``/``.npz``) when given, else probes for ``seed`` (``batch``,
    ``dim_default`` for other unknown dimensions, ``shapes`` per input name, floats in
    ``float_range``; see :func:`~tfjs_build.parity.probes.make_probes`). The tolerance
    is ``tolerance`` on every backend when given, else each backend's default for
    ``quantization`` and for the source's own arithmetic (16-bit for a mixed precision source)
    with the fields of ``overrides`` replaced; ``quantization=None`` reads it from the artifact's
    weights manifest (the coarsest quantized dtype it holds). ``signature`` names the SavedModel
    signature the artifact was made from; ``imports`` are modules registering the source's custom
    layers (imported with ``project_root`` on ``sys.path``). TF.js runs in ``runtimes`` (a
    build's pool, so a browser starts once per build), else in a pool closed before returning,
    in TF.js ``tfjs_version`` (its packages installed on first use).
    TF.js failing to run the artifact is recorded as a failed backend; a bad source or artifact
    raises. Messages name the artifact ``label`` (default: ``artifact_dir``) and spell options as
    set in ``origin``. ``explain`` says when to localize a divergence (one more TF.js pass per
    backend; see :func:`~tfjs_build.parity.localize.localize_divergence`): on a failing backend
    (``on_failure``), on every backend (``always``) or ``never``.
    """
    _check_backends(backends)
    artifact_dir, started = Path(artifact_dir), time.perf_counter()
    model_json = read_model_json(artifact_dir)
    check_shard_files(artifact_dir, model_json)  # TF.js must not follow a shard out of the artifact
    where = str(artifact_dir / MODEL_JSON)
    fmt = artifact_format(model_json)
    inputs_record: InputsRecord
    if samples is not None:
        inputs, inputs_record = _sample_inputs(model_json, Path(samples), where)
    else:
        vocabulary = _vocabulary(artifact_dir, model_json)
        inputs = make_probes(
            model_json,
            seed=seed,
            batch=batch,
            dim_default=dim_default,
            float_range=float_range,
            shapes=shapes,
            vocabulary=(vocabulary or generated_vocabulary()).words,
            source=where,
        )
        inputs_record = {
            "kind": "probes",
            "seed": seed,
            "batch": batch,
            "dim_default": dim_default,
            "float_range": [float(float_range[0]), float(float_range[1])],
            "shapes": {name: list(inputs[name].shape) for name in sorted(shapes or {})},
        }
        if vocabulary is not None:
            inputs_record["string_probes"] = vocabulary.describe()
    outputs = output_names(model_json, where)  # the artifact is read whole before the source
    if quantization is None:
        quantization = artifact_quantization(model_json)
    source_compute = source_compute_dtype(Path(source))
    resolver = overrides or ToleranceOverrides()
    tolerances = {
        backend: tolerance or resolver.resolve(quantization, backend, source_compute)
        for backend in backends
    }

    results = []
    with contextlib.ExitStack() as stack:
        if runtimes is None:
            from tfjs_build.runtime.pool import RuntimePool

            runtimes = stack.enter_context(RuntimePool())
        runtimes.start_node_workers(backends, tfjs_version)  # TF.js loads while TensorFlow does
        reference = run_reference(
            Path(source),
            inputs,
            outputs,
            graph=fmt == GRAPH_FORMAT,
            signature=signature,
            allow_unsafe_deserialization=allow_unsafe_deserialization,
            imports=imports,
            project_root=project_root,
            origin=origin,
            runtimes=runtimes,
        )
        seconds = {"reference": time.perf_counter() - started}
        for backend in backends:
            started = time.perf_counter()
            results.append(
                _run_backend(
                    runtimes.get(backend, tfjs_version),
                    artifact_dir,
                    inputs,
                    reference.outputs,
                    tolerances[backend],
                )
            )
            seconds[backend] = time.perf_counter() - started
        results = [
            _explained(runtimes, artifact_dir, fmt, result, inputs, reference, explain)
            for result in results
        ]

    base = tolerances[backends[0]]
    record: ParityRecord = {
        "skipped": False,
        "passed": all(result.passed for result in results),
        "format": fmt,
        "tfjs": tfjs_version,
        "reference": reference.description,
        "inputs": inputs_record,
        "tolerance": _tolerance_record(base, quantization, source_compute),
        "backends": [
            _backend_record(result, base, quantization, source_compute) for result in results
        ],
    }
    return ParityReport(
        record=record,
        results=tuple(results),
        tolerance=base,
        artifact=label if label is not None else str(artifact_dir),
        origin=origin,
        seconds=seconds,
        probe=Probe(inputs, reference.outputs),
    )


def _vocabulary(artifact_dir: Path, model_json: Mapping[str, Any]) -> Vocabulary | None:
    """The words for string probes, or None when the model has no string input."""
    specs = input_specs(model_json, str(artifact_dir / MODEL_JSON))
    if all(spec.dtype != "string" for spec in specs):
        return None
    return string_vocabulary(artifact_dir, model_json)


def _check_backends(backends: Sequence[str]) -> None:
    if not backends:
        raise TfjsBuildError(
            "parity needs at least one TF.js backend; to switch parity off, say so with a reason"
        )
    unknown = [name for name in backends if name not in PARITY_BACKENDS]
    if unknown:
        raise TfjsBuildError(
            f"unknown TF.js backend(s) {', '.join(unknown)} for parity; use {', '.join(PARITY_BACKENDS)}"
        )


def _sample_inputs(
    model_json: Mapping[str, Any], path: Path, where: str
) -> tuple[dict[str, np.ndarray], InputsRecord]:
    specs = input_specs(model_json, where)
    loaded = load_samples(path, [spec.name for spec in specs])
    record: InputsRecord = {
        "kind": "samples",
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    return check_samples(loaded, specs, str(path)), record


def _run_backend(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    inputs: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    tolerance: Tolerance,
) -> BackendResult:
    backend = runtime.backend
    try:
        environment = runtime.environment()
        candidate = runtime.run(artifact_dir, inputs, list(reference))
    except RuntimeFailure as exc:
        return BackendResult(backend, error=" ".join(str(exc).split()), tolerance=tolerance)
    comparisons = tuple(compare_outputs(reference, candidate, tolerance))
    return BackendResult(backend, comparisons, tolerance=tolerance, environment=environment)


def _explained(
    runtimes: RuntimePool,
    artifact_dir: Path,
    fmt: str,
    result: BackendResult,
    inputs: dict[str, np.ndarray],
    reference: ReferenceResult,
    explain: ExplainMode,
) -> BackendResult:
    """``result`` with its divergence localized when ``explain`` asks for it."""
    wanted = explain == "always" or (explain == "on_failure" and not result.passed)
    if not wanted or result.error is not None or result.tolerance is None:
        return result
    divergence = localize_divergence(
        runtimes.get(result.backend), artifact_dir, fmt, reference, inputs, result.tolerance
    )
    if not result.passed and divergence.first is None and divergence.note is None:
        unseen = (
            f"no {divergence.kind} that both TF.js and the source compute under one name is "
            "beyond the tolerance"
        )
        divergence = dataclasses.replace(divergence, note=unseen)
    return dataclasses.replace(result, divergence=divergence)


def _backend_record(
    result: BackendResult, base: Tolerance, quantization: str | None, source_compute: str | None
) -> BackendRecord:
    record: BackendRecord = {
        "backend": result.backend,
        "passed": result.passed,
        "outputs": [comparison.to_record() for comparison in result.comparisons],
    }
    if result.error is not None:
        record["error"] = result.error
    if result.tolerance is not None and result.tolerance != base:
        record["tolerance"] = _tolerance_record(result.tolerance, quantization, source_compute)
    if result.environment:
        record["runtime"] = result.environment
    if result.divergence is not None:
        record["divergence"] = result.divergence.to_record()
    return record


def _tolerance_record(
    tolerance: Tolerance, quantization: str | None, source_compute: str | None
) -> ToleranceRecord:
    return {
        "atol": tolerance.atol,
        "rtol": tolerance.rtol,
        "scale_tol": tolerance.scale_tol,
        "min_argmax_agreement": tolerance.min_argmax_agreement,
        "quantization": quantization,
        "source_compute": source_compute,
    }
