"""Real Keras models of the layers TF.js expresses only as several layers (``layers/expansions``),
for Keras 3 (``keras``) and, where the layer exists there, Keras 2 (``tf_keras``).

Each builder takes the Keras module and returns ``(model, inputs by name)``; weights are
randomised (positive variances) so that every expansion's arithmetic shows in the outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

Built = tuple[Any, dict[str, np.ndarray]]
BATCH = 2


def _normal(*shape: int, seed: int = 1, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).normal(size=(BATCH, *shape)) * scale).astype("float32")


def randomize(model: Any, seed: int = 0) -> None:
    """Non-trivial weights: variances in [0.5, 1.5), everything else normal(0, 0.5)."""
    rng = np.random.default_rng(seed)
    values = []
    for weight, current in zip(model.weights, model.get_weights(), strict=True):
        name = getattr(weight, "path", None) or weight.name
        if current.dtype.kind != "f":
            values.append(current)
        elif "variance" in name or "stddev" in name:
            values.append(rng.uniform(0.5, 1.5, current.shape).astype(current.dtype))
        else:
            values.append(rng.normal(0.0, 0.5, current.shape).astype(current.dtype))
    model.set_weights(values)


def _flat(layers: Any, tensor: Any) -> Any:
    return layers.Flatten()(tensor) if len(tensor.shape) > 2 else tensor


def batch_norm_variants(keras: ModuleType) -> Built:
    """Every BatchNormalization Keras allows: each axis (positive and negative) of rank 2-5
    inputs, with and without centre and scale, custom epsilons, after a Dense; Keras 2's
    renormalization, Keras 3's synchronized variant."""
    layers = keras.layers
    shapes = {"r2": (6,), "r3": (5, 4), "r4": (4, 5, 3), "r5": (2, 3, 4, 3)}
    inputs = {name: keras.Input(shape, name=name) for name, shape in shapes.items()}
    outputs = []
    for name, tensor in inputs.items():
        rank = len(shapes[name]) + 1
        for axis in [*range(1, rank), *range(-rank + 1, 0)]:
            options = [(True, True)]
            if axis in (1, -1):
                options += [(False, False), (True, False), (False, True)]
            for center, scale in options:
                normalized = layers.BatchNormalization(
                    axis=axis, center=center, scale=scale, epsilon=0.01 * (1 + abs(axis))
                )(tensor)
                outputs.append(_flat(layers, normalized))
    dense = layers.Dense(4)(inputs["r2"])
    outputs.append(layers.BatchNormalization(epsilon=0.3, momentum=0.5)(dense))
    if keras.__name__ == "tf_keras":
        outputs.append(layers.BatchNormalization(renorm=True)(dense))
        outputs.append(_flat(layers, layers.BatchNormalization(axis=[1])(inputs["r4"])))
    else:
        outputs.append(layers.BatchNormalization(synchronized=True)(dense))
    model = keras.Model(list(inputs.values()), layers.Concatenate(name="normalized")(outputs))
    return model, {name: _normal(*shape, seed=i) for i, (name, shape) in enumerate(shapes.items())}


def arithmetic(keras: ModuleType) -> Built:
    """Keras 3 op nodes on constants and tensors, the Subtract layer, and the hard sigmoid and
    hard SiLU activations as layers and as another layer's activation (Keras 3 only)."""
    layers, ops = keras.layers, keras.ops
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    computed = [
        a + 3.0,
        a - 2.0,
        2.0 - a,
        a * 0.5,
        3 * a,
        a - b,
        a + b,
        a * b,
        ops.maximum(a, b),
        layers.Subtract()([a, b]),
        *(layers.Activation(name)(a * 4.0) for name in ("hard_sigmoid", "hard_silu", "hard_swish")),
        layers.Dense(5, activation="hard_silu")(b),
        layers.Dense(3, activation="hard_sigmoid")(b),
    ]
    model = keras.Model([a, b], layers.Concatenate(name="computed")(computed))
    return model, {"a": _normal(4, seed=2), "b": _normal(4, seed=3)}


def hard_sequential(keras: ModuleType) -> Built:
    """A Sequential model whose hard SiLU branches (x * hard_sigmoid(x)), nested in another."""
    layers = keras.layers
    inner = keras.Sequential(
        [
            keras.Input((6,)),
            layers.Dense(8, activation="hard_silu"),
            layers.Dense(4, activation="hard_sigmoid"),
        ],
        name="inner",
    )
    model = keras.Sequential([keras.Input((6,), name="s"), inner, layers.Dense(3)], name="outer")
    return model, {"s": _normal(6, scale=3.0)}


def channels(keras: ModuleType) -> Built:
    """Per-channel arithmetic: Normalization (given, adapted, inverted, one mean for all),
    per-channel Rescaling, and keras.applications' LayerScale, StochasticDepth and
    CustomScaleLayer (Keras 3 only)."""
    from keras.src.applications.convnext import LayerScale, StochasticDepth
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    layers = keras.layers
    image = keras.Input((5, 6, 3), name="image")
    sequence = keras.Input((7, 3), name="sequence")
    adapted = layers.Normalization()
    adapted.adapt(np.random.default_rng(3).normal(1.0, 2.0, (10, 5, 6, 3)).astype("float32"))
    scaled = LayerScale(0.1, 3)(image)
    outputs = [
        layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.5, 2.0])(image),
        adapted(image),
        layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.5, 0.0], invert=True)(image),
        layers.Normalization(mean=0.5, variance=2.0)(image),
        layers.Rescaling([0.5, 2.0, -1.0], offset=[1.0, 0.0, 2.0])(image),
        scaled,
        StochasticDepth(0.2)(image),
        CustomScaleLayer(0.17)([image, scaled]),
    ]
    flat = [layers.Flatten()(o) for o in outputs]
    flat.append(layers.Flatten()(LayerScale(0.2, 3)(sequence)))
    model = keras.Model([image, sequence], layers.Concatenate(name="scaled")(flat))
    return model, {"image": _normal(5, 6, 3), "sequence": _normal(7, 3, seed=4)}


def convolutions(keras: ModuleType) -> Built:
    """Causal Conv1D (several kernels and dilations), Conv2D with one group per channel, and
    dilated DepthwiseConv2D (which TF.js's own layer computes undilated)."""
    layers = keras.layers
    sequence = keras.Input((9, 4), name="sequence")
    image = keras.Input((5, 6, 3), name="image")
    causal = [
        layers.Conv1D(3, 3, padding="causal")(sequence),
        layers.Conv1D(2, 2, padding="causal", dilation_rate=3, activation="relu")(sequence),
        layers.Conv1D(2, 1, padding="causal", use_bias=False)(sequence),
    ]
    grouped = [
        layers.Conv2D(3, 3, groups=3, padding="same")(image),
        layers.Conv2D(6, 2, groups=3, strides=2, use_bias=False)(image),
        layers.Conv2D(6, 3, groups=3, dilation_rate=2, activation="tanh")(image),
        layers.DepthwiseConv2D(3, dilation_rate=(2, 1), padding="same", depth_multiplier=2)(image),
        layers.DepthwiseConv2D(2, dilation_rate=2)(image),
    ]
    outputs = [layers.Flatten()(t) for t in causal + grouped]
    model = keras.Model([sequence, image], layers.Concatenate(name="convolved")(outputs))
    return model, {"sequence": _normal(9, 4), "image": _normal(5, 6, 3, seed=5)}


def sequence_padding(keras: ModuleType) -> Built:
    """ZeroPadding1D and Cropping1D (TF.js has neither) on a model input, whose shape both Keras
    versions record, and, in Keras 3, after other layers and first in a Sequential model."""
    layers = keras.layers
    sequence = keras.Input((9, 4), name="sequence")
    padded = [
        layers.ZeroPadding1D((1, 2))(sequence),
        layers.ZeroPadding1D(3)(sequence),
        layers.Cropping1D((2, 1))(sequence),
        layers.Cropping1D(4)(sequence),
    ]
    if keras.__name__ != "tf_keras":
        convolved = layers.Conv1D(3, 2)(sequence)
        padded.append(layers.Cropping1D((0, 3))(layers.ZeroPadding1D((2, 0))(convolved)))
        stack = keras.Sequential([keras.Input((9, 4)), layers.Cropping1D(1), layers.Conv1D(2, 3)])
        padded.append(stack(sequence))
    outputs = [layers.Flatten()(t) for t in padded]
    model = keras.Model(sequence, layers.Concatenate(name="padded")(outputs))
    return model, {"sequence": _normal(9, 4)}


BUILDERS: dict[str, Callable[[ModuleType], Built]] = {
    "batch_norm_variants": batch_norm_variants,
    "arithmetic": arithmetic,
    "hard_sequential": hard_sequential,
    "channels": channels,
    "convolutions": convolutions,
    "sequence_padding": sequence_padding,
}
FLAVORS = {
    "batch_norm_variants": ("keras3", "tf_keras"),
    "arithmetic": ("keras3",),
    "hard_sequential": ("keras3",),
    "channels": ("keras3",),
    "convolutions": ("keras3", "tf_keras"),
    "sequence_padding": ("keras3", "tf_keras"),
}
