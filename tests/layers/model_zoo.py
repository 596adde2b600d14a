"""Small real Keras models covering the layer classes the converter maps, for both Keras 3
(``keras``) and Keras 2 (``tf_keras``). Each builder returns ``(model, inputs by name)``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

Built = tuple[Any, dict[str, np.ndarray]]
BUILDERS: dict[str, Callable[[ModuleType], Built]] = {}
BATCH = 3


def builder(function: Callable[[ModuleType], Built]) -> Callable[[ModuleType], Built]:
    BUILDERS[function.__name__] = function
    return function


def input_names(model: Any) -> list[str]:
    return [tensor._keras_history[0].name for tensor in model.inputs]


def output_names(model: Any) -> list[str]:
    return [tensor._keras_history[0].name for tensor in model.outputs]


def _keras3(keras: ModuleType) -> bool:
    return keras.__name__ == "keras"


def _normal(*shape: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(BATCH, *shape)).astype("float32")


@builder
def sequential_dense(keras: ModuleType) -> Built:
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((6,), name="features"),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dropout(0.5),
            layers.Dense(5, use_bias=False),
            layers.BatchNormalization(),
            layers.Dense(4, activation="softmax", name="probabilities"),
        ],
        name="sequential_dense",
    )
    return model, {"features": _normal(6)}


@builder
def sequential_built_later(keras: ModuleType) -> Built:
    layers = keras.layers
    model = keras.Sequential(
        [layers.Dense(7, activation="tanh"), layers.Dense(3)], name="sequential_built_later"
    )
    model.build((None, 5))
    name = input_names(model)[0]
    return model, {name: _normal(5)}


@builder
def functional_graph(keras: ModuleType) -> Built:
    """Several inputs and outputs, a shared layer, merge layers, nested models used twice."""
    layers = keras.layers
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    inner_seq = keras.Sequential(
        [keras.Input((6,)), layers.Dense(6, activation="relu"), layers.LayerNormalization()],
        name="inner_seq",
    )
    inner_in = keras.Input((6,))
    inner_fn = keras.Model(
        inner_in,
        layers.Dense(6, activation="sigmoid", name="inner_dense")(inner_in),
        name="inner_fn",
    )
    shared = layers.Dense(6, name="shared")
    sa, sb = shared(a), shared(b)
    na, nb = inner_seq(sa), inner_seq(sb)
    fa, fb = inner_fn(a), inner_fn(b)
    merged = [
        layers.Add()([na, nb]),
        layers.Multiply()([na, fb]),
        layers.Average()([fa, fb, sa]),
        layers.Maximum()([sa, sb]),
        layers.Minimum()([fa, nb]),
        layers.Dot(axes=1)([sa, sb]),
        layers.Dot(axes=1, normalize=True)([fa, nb]),
    ]
    concat = layers.Concatenate(name="concat")(merged)
    head = layers.Dense(2, name="head")(concat)
    model = keras.Model([a, b], [concat, head], name="functional_graph")
    return model, {"a": _normal(6, seed=2), "b": _normal(6, seed=3)}


@builder
def conv2d_stack(keras: ModuleType) -> Built:
    layers = keras.layers
    x = keras.Input((12, 12, 3), name="image")
    y = layers.Rescaling(1 / 2.0, offset=-0.25)(x)
    y = layers.ZeroPadding2D(((1, 0), (0, 1)))(y)
    y = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.BatchNormalization()(y)
    y = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(y)
    y = layers.SeparableConv2D(5, 3, padding="valid", dilation_rate=1)(y)
    y = layers.PReLU()(y)
    y = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(y)
    y = layers.Conv2D(4, 3, dilation_rate=2, padding="same")(y)
    y = layers.LeakyReLU(0.2)(y)
    y = layers.Cropping2D(((1, 1), (0, 2)))(y)
    y = layers.UpSampling2D(2)(y)
    y = layers.MaxPooling2D(2)(y)
    y = layers.AveragePooling2D(2, strides=1, padding="same")(y)
    y = layers.ReLU(max_value=0.8)(y)
    y = layers.ELU()(y)
    y = layers.CenterCrop(4, 4)(y)
    p = layers.GlobalAveragePooling2D()(y)
    q = layers.GlobalMaxPooling2D()(y)
    # keepdims=True needs the channel count, which only Keras 3 configs record.
    kept = (
        [layers.Flatten()(layers.GlobalAveragePooling2D(keepdims=True)(y))]
        if _keras3(keras)
        else []
    )
    f = layers.Flatten()(y)
    out = layers.Concatenate()([p, q, *kept, f])
    out = layers.Dense(3)(out)
    out = layers.Softmax(name="scores")(out)
    model = keras.Model(x, out, name="conv2d_stack")
    return model, {"image": _normal(12, 12, 3)}


@builder
def conv1d_conv3d(keras: ModuleType) -> Built:
    layers = keras.layers
    s = keras.Input((16, 3), name="sequence")
    y = layers.Conv1D(4, 3, padding="same", dilation_rate=2, activation="elu")(s)
    y = layers.SpatialDropout1D(0.3)(y)
    y = layers.MaxPooling1D(2)(y)
    y = layers.AveragePooling1D(2, padding="same")(y)
    y = layers.Conv1D(4, 2, strides=2)(y)
    kept = layers.GlobalMaxPooling1D(keepdims=True)(y)
    seq_out = layers.Concatenate(name="seq_out")(
        [layers.GlobalAveragePooling1D()(y), layers.GlobalMaxPooling1D()(y), layers.Flatten()(kept)]
    )
    v = keras.Input((6, 6, 6, 2), name="volume")
    z = layers.Conv3D(3, 3, padding="same", activation="relu")(v)
    z = layers.MaxPooling3D(2)(z)
    z = layers.Conv3DTranspose(2, 2, strides=2)(z)
    z = layers.AveragePooling3D(3)(z)
    vol_out = layers.Flatten(name="vol_out")(z)
    model = keras.Model([s, v], [seq_out, vol_out], name="conv1d_conv3d")
    return model, {"sequence": _normal(16, 3), "volume": _normal(6, 6, 6, 2, seed=4)}


@builder
def recurrent(keras: ModuleType) -> Built:
    layers = keras.layers
    x = keras.Input((7, 4), name="steps")
    masked = layers.Masking(mask_value=0.0)(x)
    seq = layers.LSTM(5, return_sequences=True)(masked)
    seq = layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True), merge_mode="sum")(seq)
    seq = layers.TimeDistributed(layers.Dense(4, activation="tanh"))(seq)
    gru = layers.GRU(4, reset_after=False, go_backwards=True)(seq)
    lstm_out, state_h, state_c = layers.LSTM(3, return_state=True)(x)
    bi = layers.Bidirectional(layers.LSTM(2))(x)
    out = layers.Concatenate(name="features")([gru, lstm_out, state_h, state_c, bi])
    model = keras.Model(x, out, name="recurrent")
    inputs = _normal(7, 4)
    inputs[0, 5:] = 0.0  # masked steps
    return model, {"steps": inputs}


@builder
def embedding_text(keras: ModuleType) -> Built:
    layers = keras.layers
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    y = layers.Embedding(50, 6)(tokens)
    y = layers.Conv1D(4, 3, activation="relu")(y)
    y = layers.GlobalAveragePooling1D()(y)
    y = layers.Dense(2, activation="sigmoid", name="label")(y)
    model = keras.Model(tokens, y, name="embedding_text")
    values = np.random.default_rng(5).integers(0, 50, size=(BATCH, 9)).astype("int32")
    return model, {"tokens": values}


@builder
def reshaping(keras: ModuleType) -> Built:
    layers = keras.layers
    x = keras.Input((4, 6), name="table")
    y = layers.Reshape((6, 4))(x)
    y = layers.Permute((2, 1))(y)
    y = layers.LayerNormalization(axis=-1, epsilon=1e-3)(y)
    y = layers.Flatten()(y)
    y = layers.Activation("softsign")(y)
    y = layers.GaussianNoise(0.5)(y)
    y = layers.GaussianDropout(0.3)(y)
    y = layers.AlphaDropout(0.2)(y)
    y = layers.Dense(5)(y)
    y = layers.RepeatVector(3)(y)
    y = layers.Reshape((15,), name="flat")(y)
    model = keras.Model(x, y, name="reshaping")
    return model, {"table": _normal(4, 6)}


@builder
def conv_lstm(keras: ModuleType) -> Built:
    layers = keras.layers
    x = keras.Input((3, 6, 6, 1), name="frames")
    y = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)(x)
    y = layers.ConvLSTM2D(2, 3, padding="valid")(y)
    y = layers.Flatten(name="flat")(y)
    return keras.Model(x, y, name="conv_lstm"), {"frames": _normal(3, 6, 6, 1)}


@builder
def deep_nesting(keras: ModuleType) -> Built:
    """Models in models in models, a Sequential inside a Sequential, frozen layers, and
    normalization layers without centre or scale."""
    layers = keras.layers
    innermost = keras.Sequential(
        [keras.Input((5,)), layers.Dense(5, activation="relu", name="innermost_dense")],
        name="innermost",
    )
    frozen = layers.Dense(5, name="frozen_dense")
    frozen.trainable = False
    middle_in = keras.Input((5,))
    middle_out = layers.BatchNormalization(center=False, name="bn_no_center")(
        frozen(innermost(middle_in))
    )
    middle = keras.Model(middle_in, middle_out, name="middle")
    middle_seq = keras.Sequential(
        [
            keras.Input((5,)),
            middle,
            layers.BatchNormalization(scale=False, name="bn_no_scale"),
            layers.LayerNormalization(center=False, scale=False, name="ln_bare"),
        ],
        name="middle_seq",
    )
    x = keras.Input((5,), name="x")
    y = layers.Dense(5, name="outer_dense")(middle_seq(x))
    model = keras.Model(x, layers.Concatenate(name="out")([y, middle_seq(y)]), name="deep_nesting")
    return model, {"x": _normal(5)}


@builder
def keras2_only(keras: ModuleType) -> Built:
    """Layers and activations that exist, with TF.js semantics, only in Keras 2."""
    layers = keras.layers
    x = keras.Input((6,), name="x")
    a = layers.ThresholdedReLU(theta=0.3)(x)
    b = layers.Dense(4, activation="hard_sigmoid")(x)
    out = layers.Concatenate(name="out")([a, b])
    return keras.Model(x, out, name="keras2_only"), {"x": _normal(6)}


@builder
def masked_embedding(keras: ModuleType) -> Built:
    """Embedding(mask_zero=True) masks padded steps of the recurrent layers after it."""
    layers = keras.layers
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    y = layers.Embedding(20, 4, mask_zero=True)(tokens)
    y = layers.LSTM(3, return_sequences=True)(y)
    y = layers.SimpleRNN(2, name="last")(y)
    values = np.random.default_rng(6).integers(1, 20, size=(BATCH, 8)).astype("int32")
    values[0, 5:] = 0
    values[1, 2:] = 0
    return keras.Model(tokens, y, name="masked_embedding"), {"tokens": values}


@builder
def dict_inputs(keras: ModuleType) -> Built:
    """A functional model taking a dict of inputs and returning a dict of outputs."""
    layers = keras.layers
    left = keras.Input((3,), name="left")
    right = keras.Input((5,), name="right")
    joined = layers.Concatenate()([layers.Dense(4)(left), right])
    outputs = {
        "sum": layers.Dense(1, name="sum")(joined),
        "vec": layers.Dense(2, name="vec")(joined),
    }
    model = keras.Model({"left": left, "right": right}, outputs, name="dict_inputs")
    return model, {"left": _normal(3), "right": _normal(5, seed=7)}


@builder
def generic_rnn(keras: ModuleType) -> Built:
    """RNN layers around one cell and around a stack of cells."""
    layers = keras.layers
    x = keras.Input((6, 3), name="x")
    y = layers.RNN(layers.LSTMCell(4), return_sequences=True)(x)
    y = layers.RNN([layers.GRUCell(3, reset_after=False), layers.SimpleRNNCell(2)], name="stack")(y)
    return keras.Model(x, y, name="generic_rnn"), {"x": _normal(6, 3)}


FLAVORS = {"keras2_only": ("tf_keras",)}
ZOO = tuple(BUILDERS)
