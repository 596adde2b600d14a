"""Per-channel arithmetic as a TF.js ``BatchNormalization``, and batch normalizations TF.js's own
layer computes wrongly.

TF.js computes ``(x - moving_mean) * gamma / sqrt(moving_variance + epsilon) + beta`` along the
last axis of a rank 2-4 tensor. With ``epsilon=0``, a mean of 0 and a variance of 1 that is
``x * gamma + beta``, channel by channel: ``LayerScale`` (ConvNeXt), a per-channel ``Rescaling``
(EfficientNet) and ``Normalization`` (``(x - mean) / max(sqrt(variance), 1e-7)``).

TF.js's BatchNormalization along any other axis reshapes the statistics to broadcast, but its
kernels read them as if along the last axis, so the output is wrong (by the size of the input);
a rank-5 input is refused. Such a layer becomes ``Permute`` (the axis swapped with the last),
``Reshape`` to rank 4 for a rank-5 input, the batch normalization along the last axis, and the
same reshape and permutation back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.expansions import Expansion, Source, Step, Weights
from tfjs_build.layers.layer_call import LayerCall

Config = dict[str, Any]
_KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), Normalization's floor of the deviation
_BATCH_NORM_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")
_MAX_TFJS_RANK = 4


def _as_float32(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64).astype(np.float32)


def _affine(
    suffix: str,
    gamma: Any = None,
    beta: Any = None,
    mean: Any = None,
    variance: Any = None,
    inputs: Any = None,
    channels: int | None = None,
) -> Step:
    """A batch normalization along the last axis computing ``(x - mean) * gamma / sqrt(variance)
    + beta`` (defaults 0 and 1); values are arrays, or callables of the original weights."""

    def weights(original: Weights) -> Weights:
        def value(item: Any) -> Any:
            return item(original) if callable(item) else item

        given = {
            key: value(item)
            for key, item in zip(_BATCH_NORM_VARIABLES, (gamma, beta, mean, variance), strict=True)
        }
        size = channels or max(np.size(v) for v in given.values() if v is not None)
        out = {}
        for key, default in zip(_BATCH_NORM_VARIABLES, (1.0, 0.0, 0.0, 1.0), strict=True):
            if given[key] is None and key in ("gamma", "beta"):
                continue
            source = default if given[key] is None else given[key]
            out[key] = np.broadcast_to(_as_float32(source), (size,)).copy()
        return out

    config = {"axis": -1, "epsilon": 0.0, "center": beta is not None, "scale": gamma is not None}
    return Step("BatchNormalization", config, suffix, inputs, weights)


def _check_rank(call: LayerCall) -> None:
    rank = call.rank
    if rank is not None and not 2 <= rank <= _MAX_TFJS_RANK:
        raise UnsupportedConfig(f"a rank-{rank} input (TF.js normalizes ranks 2 to 4)")


def layer_scale_expansion(call: LayerCall) -> Expansion:
    """ConvNeXt's ``LayerScale``: ``x * gamma``."""
    _check_rank(call)
    return Expansion((_affine("", gamma=lambda w: w["gamma"]),))


def stochastic_depth_expansion(call: LayerCall) -> Expansion:
    """ConvNeXt's ``StochasticDepth``: the identity at inference."""
    return Expansion((Step("Activation", {"activation": "linear"}, ""),))


def custom_scale_expansion(call: LayerCall) -> Expansion:
    """InceptionResNetV2's ``CustomScaleLayer``: ``inputs[0] + inputs[1] * scale``."""
    scale = call.config.get("scale")
    if not _is_number(scale):
        raise UnsupportedConfig(f"scale={scale!r} (a number is converted)")
    scaled = Step("Rescaling", {"scale": scale, "offset": 0.0}, "scaled", (Source(1),))
    return Expansion((scaled, Step("Add", {}, "", (Source(0), 0))))


def _channels(call: LayerCall) -> int | None:
    shape = call.input_shape
    return shape[-1] if shape else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def rescaling_expansion(call: LayerCall) -> Expansion | None:
    """A ``Rescaling`` by a list of per-channel factors or offsets."""
    scale, offset = call.config.get("scale", 1.0), call.config.get("offset", 0.0)
    lists = [value for value in (scale, offset) if isinstance(value, list)]
    if not lists:
        return None
    _check_rank(call)
    numbers = [
        x for value in (scale, offset) for x in (value if isinstance(value, list) else [value])
    ]
    sizes = {len(value) for value in lists}
    if len(sizes) != 1 or not all(_is_number(x) for x in numbers):
        raise UnsupportedConfig(f"scale={scale!r:.40}, offset={offset!r:.40}")
    return Expansion((_affine("", gamma=scale, beta=offset, channels=sizes.pop()),))


def _single_axis(value: Any) -> int | None:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def normalization_expansion(call: LayerCall) -> Expansion:
    """``Normalization`` along the last axis, with the statistics in its config or its weights."""
    config = call.config
    axis, rank = _single_axis(config.get("axis", -1)), call.rank
    if axis is None or not (axis == -1 or (rank is not None and axis == rank - 1)):
        raise UnsupportedConfig(f"axis={config.get('axis')!r} (only the last axis is converted)")
    _check_rank(call)
    given = config.get("mean") is not None

    def statistic(key: str) -> Any:
        return (
            (lambda _: np.asarray(config[key], dtype=np.float64)) if given else (lambda w: w[key])
        )

    mean_of, variance_of = statistic("mean"), statistic("variance")

    def deviation(original: Weights) -> np.ndarray:
        variance = np.asarray(variance_of(original), dtype=np.float64)
        return np.maximum(np.sqrt(variance), _KERAS_EPSILON)

    channels = _channels(call)
    if given and np.ndim(config["mean"]) == 0 and channels is None:
        raise UnsupportedConfig("a single mean with an unrecorded channel count")
    if config.get("invert"):
        return Expansion((_affine("", gamma=deviation, beta=mean_of, channels=channels),))
    return Expansion(
        (_affine("", mean=mean_of, variance=lambda w: deviation(w) ** 2, channels=channels),)
    )


def _normalized_axis(config: Config) -> int:
    axis = _single_axis(config.get("axis", -1))
    if axis is None:
        raise UnsupportedConfig(f"axis={config.get('axis')} (TF.js normalizes along one axis)")
    return axis


def batch_norm_expansion(call: LayerCall) -> Expansion | None:
    """A ``BatchNormalization`` TF.js would compute wrongly (an axis other than the last, a
    rank-5 input) or that holds renormalization variables (unused at inference)."""
    config = call.config
    axis, rank, renorm = _normalized_axis(config), call.rank, bool(config.get("renorm"))
    if rank is None:
        if axis == -1:
            return Expansion((_plain_batch_norm(config),)) if renorm else None
        raise UnsupportedConfig(
            f"axis={axis} on an input of unrecorded rank (TF.js normalizes only the last axis "
            "correctly)"
        )
    if not -rank <= axis < rank:
        raise UnsupportedConfig(f"axis={axis} on a rank-{rank} input")
    axis %= rank
    if axis == rank - 1 and rank <= _MAX_TFJS_RANK:
        return Expansion((_plain_batch_norm(config),)) if renorm else None
    shape = call.input_shape or ()
    dims = list(range(1, rank))
    dims[axis - 1], dims[-1] = dims[-1], dims[axis - 1]
    steps: list[Step] = []
    if axis != rank - 1:
        steps.append(Step("Permute", {"dims": dims}, "channels_last"))
    permuted = [shape[d] for d in dims] if shape else []
    if rank > _MAX_TFJS_RANK:
        steps.append(Step("Reshape", {"target_shape": _rank4(permuted, rank)}, "rank4"))
    steps.append(_plain_batch_norm(config, "normalized"))
    if rank > _MAX_TFJS_RANK:
        steps.append(Step("Reshape", {"target_shape": permuted}, "restored"))
    if axis != rank - 1:
        steps.append(Step("Permute", {"dims": dims}, ""))
    return Expansion(tuple(steps))


def _rank4(dims: list[int | None], rank: int) -> list[int]:
    if len(dims) != rank - 1 or not all(isinstance(d, int) for d in dims):
        raise UnsupportedConfig(
            f"a rank-{rank} input with unrecorded dimensions (TF.js normalizes ranks 2 to 4)"
        )
    known = [int(d) for d in dims if d is not None]
    return [math.prod(known[:-2]), *known[-2:]]


def _plain_batch_norm(config: Config, suffix: str = "") -> Step:
    """The batch normalization along the last axis, without renormalization variables."""
    kept = tuple(
        key
        for key, present in zip(
            _BATCH_NORM_VARIABLES,
            (config.get("scale", True), config.get("center", True), True, True),
            strict=True,
        )
        if present
    )
    plain = {k: v for k, v in config.items() if not k.startswith("renorm") and k not in ("axis",)}
    return Step(
        "BatchNormalization",
        {**plain, "axis": -1},
        suffix,
        weights=lambda original: {key: original[key] for key in kept},
    )
