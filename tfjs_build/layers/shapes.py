"""The static shapes flowing through a rewritten (TF.js-style) model topology, as far as the
configs tell them, without TensorFlow.

``input_shapes(topology)`` maps each layer's name to the shapes of its first call's inputs, which
fix the shapes of its weights (see ``weight_shapes``). A shape is a tuple of sizes with ``None``
for an unknown size, or ``None`` when even its rank is unknown: a layer class this module does not
know, or a config it cannot read, yields unknown outputs rather than an error, so later checks
test only what is known. Only ``channels_last`` is handled (the converter refuses the rest).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

Config = dict[str, Any]
Shape = tuple[int | None, ...] | None
Dims = tuple[int | None, ...]
MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
_SAME_SHAPE = frozenset(
    {
        "Dropout",
        "SpatialDropout1D",
        "AlphaDropout",
        "GaussianNoise",
        "GaussianDropout",
        "Activation",
        "Masking",
        "Softmax",
        "ReLU",
        "LeakyReLU",
        "ELU",
        "ThresholdedReLU",
        "PReLU",
        "BatchNormalization",
        "LayerNormalization",
        "Rescaling",
    }
)
_ELEMENTWISE = frozenset({"Add", "Multiply", "Average", "Maximum", "Minimum", "Subtract"})
_RECURRENT = {"SimpleRNN": 1, "GRU": 1, "LSTM": 2, "ConvLSTM2D": 2}
"""Recurrent layers and how many states each returns with ``return_state``."""


def _tuple(value: Any, rank: int) -> tuple[int, ...]:
    """An int or list config value (``kernel_size=3``, ``strides=[2, 2]``) as ``rank`` ints."""
    values = [value] * rank if isinstance(value, int) else list(value)
    if len(values) != rank or not all(isinstance(v, int) for v in values):
        raise ValueError(f"expected {rank} sizes, got {value!r}")
    return tuple(values)


def _window(
    size: int | None, kernel: int, padding: str, stride: int, dilation: int = 1
) -> int | None:
    """Output length of a convolution or pooling window over ``size`` (Keras's formula)."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        return (size + stride - 1) // stride
    if padding == "valid":
        return (size - span + stride) // stride
    raise ValueError(f"padding {padding!r}")


def _transposed(size: int | None, kernel: int, padding: str, stride: int) -> int | None:
    if size is None:
        return None
    return size * stride if padding == "same" else size * stride + max(kernel - stride, 0)


def _spatial(config: Config, dims: Dims, *, pooling: bool = False) -> Dims:
    """Spatial sizes after a convolution or pooling over ``dims`` (without batch and channels)."""
    rank = len(dims)
    kernel = _tuple(config["pool_size" if pooling else "kernel_size"], rank)
    strides = _tuple(config.get("strides") or kernel, rank) if pooling else None
    strides = strides or _tuple(config.get("strides", 1), rank)
    dilation = (1,) * rank if pooling else _tuple(config.get("dilation_rate", 1), rank)
    padding = config.get("padding", "valid")
    return tuple(
        _window(d, k, padding, s, r)
        for d, k, s, r in zip(dims, kernel, strides, dilation, strict=True)
    )


def _conv(class_name: str, config: Config, shape: Dims) -> Dims:
    batch, dims, channels = shape[0], shape[1:-1], shape[-1]
    if class_name.endswith("Transpose"):
        rank = len(dims)
        kernel, strides = (
            _tuple(config["kernel_size"], rank),
            _tuple(config.get("strides", 1), rank),
        )
        padding = config.get("padding", "valid")
        out = tuple(
            _transposed(d, k, padding, s) for d, k, s in zip(dims, kernel, strides, strict=True)
        )
        return (batch, *out, config["filters"])
    if class_name == "DepthwiseConv2D":
        filters = None if channels is None else channels * config.get("depth_multiplier", 1)
    else:
        filters = config["filters"]
    return (batch, *_spatial(config, dims), filters)


def _pair(value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """``cropping``/``padding`` of a 2D layer as ``((top, bottom), (left, right))``."""
    if isinstance(value, int):
        return (value, value), (value, value)
    first, second = value
    rows = (first, first) if isinstance(first, int) else tuple(first)
    cols = (second, second) if isinstance(second, int) else tuple(second)
    return (rows[0], rows[1]), (cols[0], cols[1])


def _plus(size: int | None, change: int) -> int | None:
    return None if size is None else size + change


def _reshape(config: Config, shape: Dims) -> Dims:
    target = list(config["target_shape"])
    known = shape[1:]
    if -1 in target:
        total = None if None in known else math.prod(d for d in known if d is not None)
        rest = math.prod(d for d in target if d != -1)
        fill = None if total is None or rest == 0 else total // rest
        target = [fill if d == -1 else d for d in target]
    return (shape[0], *target)


def _merge(shapes: Sequence[Dims]) -> Dims:
    """Elementwise merge of same-rank shapes: a known size other than 1 wins."""
    if len({len(s) for s in shapes}) != 1:
        raise ValueError("merging shapes of different ranks")
    out: list[int | None] = []
    for sizes in zip(*shapes, strict=True):
        known = [d for d in sizes if d is not None and d != 1]
        out.append(known[0] if known else (1 if all(d == 1 for d in sizes) else None))
    return tuple(out)


def _concatenate(config: Config, shapes: Sequence[Dims]) -> Dims:
    axis = config.get("axis", -1) % len(shapes[0])
    total = [s[axis] for s in shapes]
    out = list(shapes[0])
    out[axis] = None if None in total else sum(d for d in total if d is not None)
    return tuple(out)


def _dot(config: Config, shapes: Sequence[Dims]) -> Dims:
    """Keras's ``batch_dot`` shape: both inputs without the contracted axes (and ``y``'s batch)."""
    x, y = shapes
    axes = config.get("axes", -1)
    first, second = (axes, axes) if isinstance(axes, int) else axes
    first, second = first % len(x), second % len(y)
    out = (*x[:first], *x[first + 1 :], *y[1:second], *y[second + 1 :])
    return out if len(out) > 1 else (*out, 1)


def _recurrent(class_name: str, config: Config, shape: Dims) -> list[Shape]:
    units = _rnn_units(class_name, config)
    step: Dims = (units,)
    if class_name == "ConvLSTM2D":
        step = (*_spatial(config, shape[2:-1]), config["filters"])
    batch, time = shape[0], shape[1]
    output: Shape = (batch, time, *step) if config.get("return_sequences") else (batch, *step)
    if not config.get("return_state"):
        return [output]
    if class_name == "RNN":
        return [output, *([None] * _rnn_states(config))]
    return [output, *[(batch, *step)] * _RECURRENT[class_name]]


def _rnn_units(class_name: str, config: Config) -> int:
    if class_name != "RNN":
        return int(config["units"]) if "units" in config else int(config["filters"])
    cell = config["cell"]
    if cell["class_name"] == "StackedRNNCells":
        cell = cell["config"]["cells"][-1]
    return int(cell["config"]["units"])


def _rnn_states(config: Config) -> int:
    cell = config["cell"]
    cells = cell["config"]["cells"] if cell["class_name"] == "StackedRNNCells" else [cell]
    return sum(2 if c["class_name"] == "LSTMCell" else 1 for c in cells)


def _wrapper(class_name: str, config: Config, shape: Dims) -> list[Shape]:
    inner = config["layer"]
    if class_name == "TimeDistributed":
        step = layer_outputs(inner["class_name"], inner["config"], [(shape[0], *shape[2:])])[0]
        return [None if step is None else (step[0], shape[1], *step[1:])]
    forward = layer_outputs(inner["class_name"], inner["config"], [shape])
    output = forward[0]
    if output is None or len(forward) > 1 or config.get("merge_mode", "concat") is None:
        return [None] * (len(forward) * 2 if len(forward) > 1 else 1)
    if config.get("merge_mode", "concat") == "concat":
        last = output[-1]
        output = (*output[:-1], None if last is None else 2 * last)
    return [output]


def _one_input(class_name: str, config: Config, shape: Dims) -> list[Shape]:
    """Outputs of a single-input layer given its input's known rank."""
    rules: dict[str, Callable[[], Shape]] = {
        "Dense": lambda: (*shape[:-1], config["units"]),
        "Flatten": lambda: (
            shape[0],
            None if None in shape[1:] else math.prod(d for d in shape[1:] if d is not None),
        ),
        "Reshape": lambda: _reshape(config, shape),
        "Permute": lambda: (shape[0], *(shape[d] for d in config["dims"])),
        "RepeatVector": lambda: (shape[0], config["n"], *shape[1:]),
        "Embedding": lambda: (*shape, config["output_dim"]),
        "Cropping2D": lambda: _cropped(config["cropping"], shape, -1),
        "ZeroPadding2D": lambda: _cropped(config["padding"], shape, 1),
        "CenterCrop": lambda: (shape[0], config["height"], config["width"], shape[-1]),
        "UpSampling2D": lambda: _upsampled(config, shape),
    }
    if class_name in _SAME_SHAPE:
        return [shape]
    if class_name in rules:
        return [rules[class_name]()]
    if (
        class_name.startswith(("Conv", "DepthwiseConv", "SeparableConv"))
        and class_name != "ConvLSTM2D"
    ):
        return [_conv(class_name, config, shape)]
    if class_name.startswith(("MaxPooling", "AveragePooling")):
        return [(shape[0], *_spatial(config, shape[1:-1], pooling=True), shape[-1])]
    if class_name.startswith(("GlobalMaxPooling", "GlobalAveragePooling")):
        kept = (1,) * (len(shape) - 2) if config.get("keepdims") else ()
        return [(shape[0], *kept, shape[-1])]
    if class_name in _RECURRENT or class_name == "RNN":
        return _recurrent(class_name, config, shape)
    if class_name in ("TimeDistributed", "Bidirectional"):
        return _wrapper(class_name, config, shape)
    return [None]


def _cropped(value: Any, shape: Dims, sign: int) -> Dims:
    (top, bottom), (left, right) = _pair(value)
    return (
        shape[0],
        _plus(shape[1], sign * (top + bottom)),
        _plus(shape[2], sign * (left + right)),
        shape[3],
    )


def _upsampled(config: Config, shape: Dims) -> Dims:
    rows, cols = _tuple(config.get("size", 2), 2)
    h, w = shape[1], shape[2]
    return (shape[0], None if h is None else h * rows, None if w is None else w * cols, shape[3])


def layer_outputs(class_name: str, config: Config, inputs: Sequence[Shape]) -> list[Shape]:
    """The output shapes of a (non-model) layer called on ``inputs``; unknown ones are ``None``."""
    if not inputs or any(shape is None for shape in inputs):
        return [None]
    known = [shape for shape in inputs if shape is not None]
    try:
        if class_name in _ELEMENTWISE:
            return [_merge(known)]
        if class_name == "Concatenate":
            return [_concatenate(config, known)]
        if class_name == "Dot":
            return [_dot(config, known)]
        return _one_input(class_name, config, known[0])
    except (LookupError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return [None]


# --- models -----------------------------------------------------------------------------------


def input_shapes(topology: Config) -> dict[str, list[Shape]]:
    """Each layer's name (nested models included) to the shapes of its first call's inputs."""
    seen: dict[str, list[Shape]] = {}
    # what was learned before the config stopped making sense still holds
    with contextlib.suppress(LookupError, TypeError, ValueError, AttributeError, RecursionError):
        _model_outputs(topology, None, seen)
    return seen


def output_shapes(topology: Config) -> list[Shape]:
    """The shapes of a model's outputs, in order (``[]`` when the config cannot tell)."""
    try:
        return _model_outputs(topology, None, {})
    except (LookupError, TypeError, ValueError, AttributeError, RecursionError):
        return []


def _model_outputs(
    model: Config, given: list[Shape] | None, seen: dict[str, list[Shape]]
) -> list[Shape]:
    config = model["config"]
    if model["class_name"] == "Sequential":
        return _sequential_outputs(config["layers"], given, seen)
    return _functional_outputs(config, given, seen)


def _call(layer: Config, inputs: list[Shape], seen: dict[str, list[Shape]]) -> list[Shape]:
    seen.setdefault(layer["config"]["name"], inputs)
    if layer["class_name"] in MODEL_CLASSES:
        return _model_outputs(layer, inputs, seen)
    return layer_outputs(layer["class_name"], layer["config"], inputs)


def _declared(layer: Config) -> Shape:
    shape = layer["config"].get("batch_input_shape")
    return tuple(shape) if isinstance(shape, list) else None


def _sequential_outputs(
    layers: list[Config], given: list[Shape] | None, seen: dict[str, list[Shape]]
) -> list[Shape]:
    current: list[Shape] = given or [None]
    for index, layer in enumerate(layers):
        if layer["class_name"] == "InputLayer":
            current = given or [_declared(layer)]
            continue
        if index == 0 and given is None:
            current = [_declared(layer)]
        current = _call(layer, current[:1], seen)
    return current


def _functional_outputs(
    config: Config, given: list[Shape] | None, seen: dict[str, list[Shape]]
) -> list[Shape]:
    tensors: dict[tuple[str, int, int], Shape] = {}
    inputs = [ref[0] for ref in config["input_layers"]]
    layers = {layer["config"]["name"]: layer for layer in config["layers"]}
    for position, name in enumerate(inputs):
        declared = _declared(layers[name])
        tensors[name, 0, 0] = given[position] if given and position < len(given) else declared
    calls = [
        (layer, index, [(ref[0], ref[1], ref[2]) for ref in node])
        for layer in config["layers"]
        if layer["class_name"] != "InputLayer"
        for index, node in enumerate(layer.get("inbound_nodes", []))
    ]
    while calls:  # calls are usually listed in order; this also copes when they are not
        waiting = [call for call in calls if not _call_node(*call, tensors, seen)]
        if len(waiting) == len(calls):
            break
        calls = waiting
    return [tensors.get((ref[0], ref[1], ref[2])) for ref in config["output_layers"]]


def _call_node(
    layer: Config,
    index: int,
    refs: list[tuple[str, int, int]],
    tensors: dict[tuple[str, int, int], Shape],
    seen: dict[str, list[Shape]],
) -> bool:
    """Record the outputs of call ``index`` of ``layer``; ``False`` while an input is unknown."""
    if any(ref not in tensors for ref in refs):
        return False
    first_node = 1 if layer["class_name"] in MODEL_CLASSES else 0  # TF.js counts a model's own node
    outputs = _call(layer, [tensors[ref] for ref in refs], seen)
    for position, shape in enumerate(outputs):
        tensors[layer["config"]["name"], index + first_node, position] = shape
    return True
