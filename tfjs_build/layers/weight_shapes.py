"""Check that a Keras file's weights have the shapes its layer configs call for.

A kernel of the wrong shape (an edited or mixed-up file) would otherwise convert, then fail in
TF.js or in the parity reference run far from its cause. Each weight's expected shape comes from
its layer's config (units, filters, kernel size...) and the shape of the layer's input, inferred
through the model by ``shapes``; a size neither tells is not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.errors import SourceError
from tfjs_build.layers.shapes import MODEL_CLASSES, Dims, Shape, input_shapes
from tfjs_build.layers.variables import variable_names

Config = dict[str, Any]
Expected = dict[str, tuple[int | None, ...]]
_CONV_RANK = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Conv2DTranspose": 2, "Conv3DTranspose": 3}
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "SimpleRNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


def _kernel(config: Config, rank: int) -> tuple[int, ...]:
    size = config["kernel_size"]
    values = [size] * rank if isinstance(size, int) else list(size)
    if len(values) != rank:
        raise ValueError(f"kernel_size {size!r}")
    return tuple(int(v) for v in values)


def _with_bias(config: Config, shapes: Expected, size: int | None) -> Expected:
    if config.get("use_bias", True):
        shapes["bias"] = (size,)
    return shapes


def _recurrent(class_name: str, config: Config, channels: int | None) -> Expected:
    units, gates = int(config["units"]), _GATES[class_name]
    return _with_bias(
        config,
        {"kernel": (channels, gates * units), "recurrent_kernel": (units, gates * units)},
        gates * units,
    )


def _normalization(class_name: str, config: Config, shape: Dims | None) -> Expected:
    axes = config.get("axis", -1)
    axes = [axes] if isinstance(axes, int) else list(axes)
    sizes = tuple(shape[a] if shape is not None else None for a in axes)
    names = variable_names(class_name, config)
    return dict.fromkeys(names, sizes)


def _prelu(config: Config, shape: Dims | None) -> Expected:
    if shape is None:
        return {}
    alpha = list(shape[1:])
    shared = config.get("shared_axes") or []
    for axis in [shared] if isinstance(shared, int) else shared:
        alpha[axis - 1] = 1
    return {"alpha": tuple(alpha)}


def expected_shapes(class_name: str, config: Config, shape: Shape) -> Expected:
    """Each variable of a (non-model) layer with the shape it needs, given its input's shape."""
    channels = shape[-1] if shape else None
    if class_name == "Dense":
        return _with_bias(config, {"kernel": (channels, config["units"])}, config["units"])
    if class_name == "Embedding":
        return {"embeddings": (config["input_dim"], config["output_dim"])}
    if class_name in _CONV_RANK:
        kernel, filters = _kernel(config, _CONV_RANK[class_name]), config["filters"]
        groups = config.get("groups", 1) or 1
        per_group = None if channels is None else channels // groups  # a grouped convolution
        inner = (filters, channels) if class_name.endswith("Transpose") else (per_group, filters)
        return _with_bias(config, {"kernel": (*kernel, *inner)}, filters)
    if class_name in ("DepthwiseConv2D", "SeparableConv2D"):
        kernel, multiplier = _kernel(config, 2), config.get("depth_multiplier", 1)
        expanded = None if channels is None else channels * multiplier
        shapes = {"depthwise_kernel": (*kernel, channels, multiplier)}
        if class_name == "DepthwiseConv2D":
            return _with_bias(config, shapes, expanded)
        shapes["pointwise_kernel"] = (1, 1, expanded, config["filters"])
        return _with_bias(config, shapes, config["filters"])
    if class_name in _GATES:
        return _recurrent(class_name, config, channels)
    if class_name == "ConvLSTM2D":
        kernel, filters = _kernel(config, 2), config["filters"]
        return _with_bias(
            config,
            {
                "kernel": (*kernel, channels, 4 * filters),
                "recurrent_kernel": (*kernel, filters, 4 * filters),
            },
            4 * filters,
        )
    if class_name in ("BatchNormalization", "LayerNormalization"):
        return _normalization(class_name, config, shape)
    if class_name == "PReLU":
        return _prelu(config, shape)
    return _container(class_name, config, shape)


def _container(class_name: str, config: Config, shape: Shape) -> Expected:
    """Layers whose variables are another layer's: RNN cells, Bidirectional, TimeDistributed."""
    if class_name == "RNN":
        cell = config["cell"]
        if cell["class_name"] != "StackedRNNCells":
            return expected_shapes(cell["class_name"], cell["config"], shape)
        out: Expected = {}
        for index, inner in enumerate(cell["config"]["cells"]):
            for var, size in expected_shapes(inner["class_name"], inner["config"], shape).items():
                out[f"RNNCell_{index}/{var}"] = size
            shape = (*(shape or (None, None))[:-1], int(inner["config"]["units"]))
        return out
    if class_name == "Bidirectional":
        inner = config["layer"]
        name = inner["config"]["name"]
        one = expected_shapes(inner["class_name"], inner["config"], shape)
        return {
            f"{side}_{name}/{var}": size
            for side in ("forward", "backward")
            for var, size in one.items()
        }
    if class_name == "TimeDistributed":
        inner = config["layer"]
        step = None if shape is None else (shape[0], *shape[2:])
        return expected_shapes(inner["class_name"], inner["config"], step)
    return {}


def _leaves(model: Config) -> list[Config]:
    found: list[Config] = []
    for layer in model["config"]["layers"]:
        found.extend(_leaves(layer) if layer["class_name"] in MODEL_CLASSES else [layer])
    return found


def _fits(actual: Sequence[int], expected: tuple[int | None, ...]) -> bool:
    return len(actual) == len(expected) and all(
        want is None or want == got for got, want in zip(actual, expected, strict=True)
    )


def _shown(shape: Sequence[int | None]) -> str:
    return (
        "("
        + ", ".join("?" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def check_weight_shapes(
    path: Path, topology: Config, weights: Sequence[tuple[str, np.ndarray]]
) -> None:
    """Raise ``SourceError`` naming the layer and the weight whose stored shape does not fit the
    layer's config and input."""
    values = dict(weights)
    inputs = input_shapes(topology)
    for layer in _leaves(topology):
        class_name, config = layer["class_name"], layer["config"]
        name = config.get("name")
        given = inputs.get(name) or [None]
        try:
            expected = expected_shapes(class_name, config, given[0])
        except (LookupError, TypeError, ValueError, AttributeError):
            continue  # a config this check cannot read: the converter judges it elsewhere
        for var, shape in expected.items():
            array = values.get(f"{name}/{var}")
            if array is not None and not _fits(array.shape, shape):
                raise SourceError(
                    f"{path}: layer {name} ({class_name}): weight {name}/{var} has shape "
                    f"{_shown(array.shape)} in the file, but the layer's config needs "
                    f"{_shown(shape)}; the weights do not match the model (re-save it with Keras)"
                )
