"""Probe inputs for a parity check, from the artifact's own description of its inputs.

The inputs come from :func:`tfjs_build.parity.model_io.input_specs`. Unknown dimensions are
filled from defaults; values depend on the dtype (floats in a range; integers in a valid range,
below an ``Embedding``'s ``input_dim`` or a gathered table's size when the model shows it; bools);
everything is a pure function of the seed and the input's name.

Users can instead bring their own samples (``.npy`` for one input, ``.npz`` with one array per
input name) through :func:`load_samples`.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.errors import ProbeError
from tfjs_build.parity.model_io import InputSpec, input_specs
from tfjs_build.parity.vocabulary import GENERATED_VOCABULARY

DEFAULT_BATCH = 2
DEFAULT_DIM = 32
"""Fill for unknown non-batch dimensions: enough for five stride-2 stages of an image model."""
DEFAULT_FLOAT_RANGE = (-1.0, 1.0)
MAX_PROBE_VALUES = 1 << 26
"""The most values one probe input may hold (256 MiB of float32): a larger shape in a model.json
is a mistake or an attack, and is refused rather than allocated."""
DEFAULT_INT_RANGE = (0, 10)
"""Integers for inputs whose valid range the model does not show (half-open)."""


# --------------------------------------------------------------------------- probes


def make_probes(
    model_json: Mapping[str, Any],
    *,
    seed: int = 0,
    batch: int = DEFAULT_BATCH,
    float_range: tuple[float, float] = DEFAULT_FLOAT_RANGE,
    int_range: tuple[int, int] = DEFAULT_INT_RANGE,
    dim_default: int = DEFAULT_DIM,
    shapes: Mapping[str, Sequence[int]] | None = None,
    vocabulary: Sequence[bytes] = GENERATED_VOCABULARY,
    source: str = MODEL_JSON,
) -> dict[str, np.ndarray]:
    """Deterministic probe inputs for every input of ``model_json``, keyed by input name.

    The first unknown dimension is the batch (``batch``); other unknown dimensions become
    ``dim_default``; ``shapes`` overrides the whole shape of named inputs; string inputs draw from
    ``vocabulary`` (see :mod:`tfjs_build.parity.vocabulary`). Each input's values come
    from its own PCG64 stream keyed by ``(seed, crc32(name))``, so they are byte-identical across
    runs, processes and machines, and do not change when other inputs are added. A probe
    larger than ``MAX_PROBE_VALUES`` is refused before anything is allocated; errors about the
    model description name ``source``.
    """
    _check_options(seed, batch, dim_default, float_range)
    shapes = dict(shapes or {})
    specs = input_specs(model_json, source)
    unknown = sorted(set(shapes) - {spec.name for spec in specs})
    if unknown:
        raise ProbeError(f"shapes given for unknown inputs: {', '.join(unknown)}")
    probes = {}
    for spec in specs:
        if spec.name in shapes:
            shape = tuple(int(d) for d in shapes[spec.name])
        else:
            shape = concrete_shape(spec, batch=batch, dim_default=dim_default)
        _check_size(spec, shape, source)
        rng = np.random.Generator(np.random.PCG64([seed, zlib.crc32(spec.name.encode())]))
        probes[spec.name] = _values(spec, shape, rng, float_range, int_range, vocabulary)
    return probes


def _check_size(spec: InputSpec, shape: tuple[int, ...], source: str) -> None:
    if min(shape, default=0) < 0:
        raise ProbeError(f"{source}: input {spec.name!r} has shape {shape}, with a negative size")
    values = math.prod(shape)
    if values > MAX_PROBE_VALUES:
        raise ProbeError(
            f"{source}: input {spec.name!r} has shape {shape}, {values:,} values, more than the "
            f"{MAX_PROBE_VALUES:,} a probe may have; pass smaller shapes or your own samples"
        )


def _check_options(
    seed: int, batch: int, dim_default: int, float_range: tuple[float, float]
) -> None:
    if seed < 0:
        raise ProbeError(f"the parity seed must be zero or positive, got {seed}")
    if batch < 1 or dim_default < 1:
        raise ProbeError(f"probe sizes must be positive (batch {batch}, dim_default {dim_default})")
    low, high = float_range
    if not low < high:
        raise ProbeError(
            f"the probe float range must be (low, high) with low < high, got {float_range}"
        )


def concrete_shape(spec: InputSpec, *, batch: int, dim_default: int) -> tuple[int, ...]:
    """``spec.shape`` with the batch and other unknown dimensions filled in."""
    if spec.shape is None:
        return (batch, dim_default)
    return tuple(
        (batch if index == 0 else dim_default) if dim is None else int(dim)
        for index, dim in enumerate(spec.shape)
    )


def _values(
    spec: InputSpec,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    float_range: tuple[float, float],
    int_range: tuple[int, int],
    vocabulary: Sequence[bytes],
) -> np.ndarray:
    if spec.dtype == "string":
        words = np.array(list(vocabulary), dtype=object)
        return np.asarray(words[rng.integers(0, len(words), size=shape)])
    dtype = np.dtype(spec.dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        low, high = int_range
        if spec.int_high is not None:
            low, high = 0, spec.int_high
        info = np.iinfo(dtype)
        low, high = max(low, int(info.min)), min(high, int(info.max) + 1)
        return rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype)
    low_f, high_f = float_range
    return (low_f + (high_f - low_f) * rng.random(shape)).astype(dtype)


# --------------------------------------------------------------------------- user samples


def load_samples(
    path: Path | str, input_names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """User samples from ``path``: ``.npy`` (one input) or ``.npz`` (one array per input name).

    Given ``input_names`` (the model's inputs), a ``.npy`` is keyed by the single input's name and
    an ``.npz`` must hold exactly those names; otherwise a ``.npy`` is keyed by ``""``. Pickled
    (object) arrays are refused.
    """
    path = Path(path)
    if not path.is_file():
        raise ProbeError(f"{path}: sample file not found")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                samples = {name: archive[name] for name in archive.files}
        elif path.suffix == ".npy":
            samples = {"": np.load(path, allow_pickle=False)}
        else:
            raise ProbeError(f"{path}: samples must be a .npy (one input) or .npz (one per input)")
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ProbeError(
            f"{path}: cannot read samples ({exc}); save plain arrays with numpy.save / numpy.savez"
        ) from None
    if input_names is None:
        return samples
    return _match_names(path, samples, list(input_names))


def _match_names(
    path: Path, samples: dict[str, np.ndarray], input_names: list[str]
) -> dict[str, np.ndarray]:
    if "" in samples:
        if len(input_names) != 1:
            raise ProbeError(
                f"{path}: a .npy holds one array but the model has inputs "
                f"{', '.join(input_names)}; save an .npz with one array per input name"
            )
        return {input_names[0]: samples[""]}
    missing = [name for name in input_names if name not in samples]
    extra = sorted(set(samples) - set(input_names))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing input(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unknown name(s) {', '.join(extra)}")
        raise ProbeError(
            f"{path}: {'; '.join(parts)}; the model's inputs are {', '.join(input_names)}"
        )
    return {name: samples[name] for name in input_names}


def check_samples(
    samples: Mapping[str, np.ndarray], specs: Sequence[InputSpec], origin: str
) -> dict[str, np.ndarray]:
    """``samples`` checked against ``specs`` (rank, known dimensions, dtype kind) and cast."""
    checked = {}
    for spec in specs:
        array = np.asarray(samples[spec.name])
        if spec.shape is not None:
            expected = spec.shape
            fits = array.ndim == len(expected) and all(
                d is None or d == a for d, a in zip(expected, array.shape, strict=True)
            )
            if not fits:
                wanted = "(" + ", ".join("?" if d is None else str(d) for d in expected) + ")"
                raise ProbeError(
                    f"{origin}: input {spec.name!r} has shape {array.shape}, the model expects "
                    f"{wanted}"
                )
        checked[spec.name] = _cast_sample(array, spec, origin)
    return checked


def _cast_sample(array: np.ndarray, spec: InputSpec, origin: str) -> np.ndarray:
    if spec.dtype == "string":
        if array.dtype.kind not in "SUO":
            raise ProbeError(f"{origin}: input {spec.name!r} needs strings, got {array.dtype}")
        return array.astype(object)
    wanted = np.dtype(spec.dtype)
    if array.dtype.kind == "f" and wanted.kind in "iub":
        raise ProbeError(
            f"{origin}: input {spec.name!r} is {wanted} but the sample holds {array.dtype} values"
        )
    return array.astype(wanted)
