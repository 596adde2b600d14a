"""Real TensorFlow and Keras models for the graph-converter tests, each with probe inputs.

Every builder saves a model under ``directory`` and returns a ``Case``: where it is, inputs to
feed, and what TensorFlow itself computes for them (the reference TF.js must match).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RNG_SEED = 7


@dataclass
class Case:
    """A saved model, inputs for it, and TensorFlow's outputs for them, keyed like the signature."""

    path: Path
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]


def _rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def run_signature(
    path: Path, inputs: dict[str, np.ndarray], signature: str = "serving_default"
) -> dict[str, np.ndarray]:
    import tensorflow as tf

    function = tf.saved_model.load(str(path)).signatures[signature]
    result = function(**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in result.items()}


def randomize(
    weights: list[Any], rng: np.random.Generator, low: float = 0.5, high: float = 1.5
) -> None:
    for variable in weights:
        variable.assign(
            rng.uniform(low, high, variable.shape).astype(
                variable.dtype.name if hasattr(variable.dtype, "name") else variable.dtype
            )
        )


def mlp_module(directory: Path) -> Case:
    """A tf.Module MLP with a tf.function signature."""
    import tensorflow as tf

    rng = _rng()

    class Mlp(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w1 = tf.Variable(rng.normal(size=(6, 16)).astype("float32"))
            self.b1 = tf.Variable(rng.normal(size=(16,)).astype("float32"))
            self.w2 = tf.Variable(rng.normal(size=(16, 3)).astype("float32"))
            self.b2 = tf.Variable(rng.normal(size=(3,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            hidden = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
            tf.debugging.check_numerics(hidden, "hidden went bad")
            return {"logits": tf.matmul(hidden, self.w2) + self.b2}

    module = Mlp()
    tf.saved_model.save(module, str(directory))
    inputs = {"x": rng.normal(size=(4, 6)).astype("float32")}
    return Case(directory, inputs, run_signature(directory, inputs))


def control_flow_module(directory: Path) -> Case:
    """tf.while_loop and tf.cond in a signature (v2 control flow: While and If with functions)."""
    import tensorflow as tf

    rng = _rng()

    class Loop(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable((rng.normal(size=(3, 3)) * 0.5).astype("float32"))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 3], tf.float32, name="x"),
                tf.TensorSpec([], tf.int32, name="steps"),
            ]
        )
        def __call__(self, x: Any, steps: Any) -> Any:
            def body(i: Any, value: Any) -> Any:
                return i + 1, tf.tanh(tf.matmul(value, self.w)) + tf.constant(0.25)

            _, looped = tf.while_loop(lambda i, _: i < steps, body, [tf.constant(0), x])
            chosen = tf.cond(
                tf.reduce_sum(looped) > 0.0, lambda: looped * 2.0, lambda: looped - 1.0
            )
            return {"y": chosen}

    module = Loop()
    tf.saved_model.save(module, str(directory))
    inputs = {"x": rng.normal(size=(2, 3)).astype("float32"), "steps": np.array(3, dtype="int32")}
    return Case(directory, inputs, run_signature(directory, inputs))


def text_tower_module(directory: Path) -> Case:
    """A causal self-attention over token embeddings (the mask from ``tf.linalg.band_part``) and
    the end-of-sequence token's vector pooled with ``tf.gather(..., batch_dims=1)``."""
    import tensorflow as tf

    rng = _rng()

    class TextTower(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = tf.Variable(rng.normal(size=(11, 4)).astype("float32"))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None], tf.int32, name="tokens"),
                tf.TensorSpec([None], tf.int32, name="ends"),
            ]
        )
        def __call__(self, tokens: Any, ends: Any) -> Any:
            x = tf.gather(self.table, tokens)
            scores = tf.matmul(x, x, transpose_b=True)
            causal = tf.linalg.band_part(tf.ones_like(scores), -1, 0)
            weights = tf.nn.softmax(scores + (1.0 - causal) * -1e9, axis=-1)
            attended = tf.matmul(weights, x)
            pooled = tf.gather(attended, ends, axis=1, batch_dims=1)
            return {"pooled": pooled, "attended": attended}

    module = TextTower()
    tf.saved_model.save(module, str(directory))
    inputs = {
        "tokens": rng.integers(0, 11, size=(3, 6)).astype("int32"),
        "ends": np.array([5, 2, 0], dtype="int32"),
    }
    return Case(directory, inputs, run_signature(directory, inputs))


def nested_loops_module(directory: Path) -> Case:
    """A detector's decoding in miniature: a while loop inside a while loop, ``tf.linspace`` and
    a ``tf.cond`` in the inner body, non-max suppression of the scores the loops made."""
    import tensorflow as tf

    rng = _rng()

    class Decoder(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="boxes"),
                tf.TensorSpec([None], tf.float32, name="scores"),
                tf.TensorSpec([], tf.int32, name="rounds"),
            ]
        )
        def __call__(self, boxes: Any, scores: Any, rounds: Any) -> Any:
            def outer(i: Any, acc: Any) -> Any:
                def inner(j: Any, a: Any) -> Any:
                    grid = tf.linspace(0.0, 1.0, 5)
                    bump = tf.cond(
                        j % 2 == 0, lambda: tf.reduce_sum(grid), lambda: -tf.reduce_max(grid)
                    )
                    return j + 1, a * 0.5 + bump * tf.cast(j, tf.float32)

                _, acc = tf.while_loop(lambda j, _: j < i + 1, inner, [tf.constant(0), acc])
                return i + 1, acc

            _, shifted = tf.while_loop(lambda i, _: i < rounds, outer, [tf.constant(0), scores])
            chosen = tf.image.non_max_suppression(boxes, shifted, 3, iou_threshold=0.5)
            return {"scores": shifted, "chosen": chosen}

    tf.saved_model.save(Decoder(), str(directory))
    corners = rng.uniform(0.0, 0.6, size=(8, 2)).astype("float32")
    sizes = rng.uniform(0.2, 0.4, size=(8, 2)).astype("float32")
    inputs = {
        "boxes": np.concatenate([corners, corners + sizes], axis=1),
        "scores": rng.uniform(0.0, 1.0, size=(8,)).astype("float32"),
        "rounds": np.array(3, dtype="int32"),
    }
    return Case(directory, inputs, run_signature(directory, inputs))


def bitcast_module(directory: Path) -> Case:
    """A float's sign bit read through ``tf.bitcast`` and ``tf.bitwise.bitwise_and``."""
    import tensorflow as tf

    class SignBits(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            bits = tf.bitcast(x, tf.int32)
            return {"negative": tf.bitwise.bitwise_and(bits, tf.constant(-(2**31))) != 0}

    tf.saved_model.save(SignBits(), str(directory))
    inputs = {"x": np.array([1.5, -2.0, 0.0, -0.0], dtype="float32")}
    return Case(directory, inputs, run_signature(directory, inputs))


def two_inputs_module(directory: Path) -> Case:
    """Two named inputs of different dtypes (float32 features, int32 ids) and a dict of outputs."""
    import tensorflow as tf

    rng = _rng()

    class Ranker(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = tf.Variable(rng.normal(size=(10, 4)).astype("float32"))
            self.w = tf.Variable(rng.normal(size=(4, 1)).astype("float32"))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="features"),
                tf.TensorSpec([None], tf.int32, name="ids"),
            ]
        )
        def __call__(self, features: Any, ids: Any) -> Any:
            embedded = tf.gather(self.table, ids)
            mixed = embedded * features
            return {
                "score": tf.squeeze(tf.matmul(mixed, self.w), -1),
                "embedding": mixed,
                "best": tf.argmax(mixed, axis=-1, output_type=tf.int32),
            }

    module = Ranker()
    tf.saved_model.save(module, str(directory))
    inputs = {
        "features": rng.normal(size=(5, 4)).astype("float32"),
        "ids": np.array([0, 3, 9, 3, 1], dtype="int32"),
    }
    return Case(directory, inputs, run_signature(directory, inputs))


def two_signatures_module(directory: Path) -> tuple[Case, Case]:
    """One module exported with two signatures: ``serving_default`` and ``scaled``."""
    import tensorflow as tf

    rng = _rng()

    class Two(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = tf.Variable(rng.normal(size=(3, 2)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def project(self, x: Any) -> Any:
            return {"projected": tf.matmul(x, self.w)}

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 3], tf.float32, name="x"),
                tf.TensorSpec([], tf.float32, name="factor"),
            ]
        )
        def scaled(self, x: Any, factor: Any) -> Any:
            return {"scaled": tf.sigmoid(tf.matmul(x, self.w) * factor)}

    module = Two()
    tf.saved_model.save(
        module,
        str(directory),
        signatures={"serving_default": module.project, "scaled": module.scaled},
    )
    x = rng.normal(size=(4, 3)).astype("float32")
    first = {"x": x}
    second = {"x": x, "factor": np.array(1.5, dtype="float32")}
    return (
        Case(directory, first, run_signature(directory, first)),
        Case(directory, second, run_signature(directory, second, "scaled")),
    )


def keras3_conv_export(directory: Path) -> Case:
    """A Keras 3 conv net with BatchNormalization, written by ``model.export``."""
    import keras

    rng = _rng()
    inputs = keras.Input((12, 12, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = keras.layers.Conv2D(8, 1, activation="tanh")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(5, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng)
    model.export(str(directory), verbose=False)
    feed = {"image": rng.normal(size=(2, 12, 12, 3)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def tf_keras_saved_model(directory: Path) -> Case:
    """A tf_keras model saved as a SavedModel directory by ``model.save``."""
    import tf_keras

    rng = _rng()
    inputs = tf_keras.Input((5,), name="values")
    x = tf_keras.layers.Dense(8, activation="elu")(inputs)
    x = tf_keras.layers.LayerNormalization()(x)
    outputs = tf_keras.layers.Dense(2, activation="sigmoid", name="prob")(x)
    model = tf_keras.Model(inputs, outputs)
    randomize(model.weights, rng, -1.0, 1.0)
    model.save(str(directory), save_format="tf")
    feed = {"values": rng.normal(size=(3, 5)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


CaseBuilder = Callable[[Path], Any]


def keras_case(model: Any, path: Path, feed: dict[str, np.ndarray]) -> Case:
    """Save ``model`` to ``path`` and record its outputs, keyed by output layer name."""
    model.save(str(path))
    result = model(
        list(feed.values()) if len(feed) > 1 else next(iter(feed.values())), training=False
    )
    flat = result if isinstance(result, (list, tuple)) else [result]
    return Case(
        path,
        feed,
        {name: np.asarray(value) for name, value in zip(model.output_names, flat, strict=True)},
    )


def keras3_lambda_model(path: Path) -> Case:
    """A Keras 3 ``.keras`` model with a Lambda layer (Python code stored in the file)."""
    import keras

    rng = _rng()
    inputs = keras.Input((4,), name="numbers")
    x = keras.layers.Dense(6, activation="relu")(inputs)
    x = keras.layers.Lambda(lambda t: t * 2.0 + 1.0, name="affine")(x)
    outputs = keras.layers.Dense(2, name="result")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -1.0, 1.0)
    return keras_case(model, path, {"numbers": rng.normal(size=(3, 4)).astype("float32")})


def scaled_tanh_layer() -> type:
    """A registered custom Keras 3 layer (TF.js layers cannot build it)."""
    import keras

    @keras.saving.register_keras_serializable(package="tfjs_build_tests")
    class ScaledTanh(keras.layers.Layer):
        def __init__(self, scale: float = 1.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = scale

        def build(self, input_shape: Any) -> None:
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

        def call(self, x: Any) -> Any:
            return keras.ops.tanh(x * self.gain) * self.scale

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "scale": self.scale}

    return ScaledTanh


def keras3_custom_layer_model(path: Path) -> Case:
    """A Keras 3 model with a custom layer, two inputs and two outputs."""
    import keras

    rng = _rng()
    layer_class = scaled_tanh_layer()
    left = keras.Input((3,), name="left")
    right = keras.Input((3,), name="right")
    joined = keras.layers.Concatenate()([left, right])
    hidden = layer_class(scale=1.5, name="scaled_tanh")(keras.layers.Dense(5)(joined))
    first = keras.layers.Dense(2, name="first")(hidden)
    second = keras.layers.Dense(1, activation="sigmoid", name="second")(hidden)
    model = keras.Model([left, right], [first, second])
    randomize(model.weights, rng, -1.0, 1.0)
    feed = {
        "left": rng.normal(size=(2, 3)).astype("float32"),
        "right": rng.normal(size=(2, 3)).astype("float32"),
    }
    return keras_case(model, path, feed)


def tf_keras_lambda_h5(path: Path) -> Case:
    """A tf_keras HDF5 model with a Lambda layer."""
    import tf_keras

    rng = _rng()
    inputs = tf_keras.Input((4,), name="numbers")
    x = tf_keras.layers.Dense(3, activation="tanh")(inputs)
    x = tf_keras.layers.Lambda(lambda t: t * t, name="square")(x)
    outputs = tf_keras.layers.Dense(2, name="out")(x)
    model = tf_keras.Model(inputs, outputs)
    randomize(model.weights, rng, -1.0, 1.0)
    return keras_case(model, path, {"numbers": rng.normal(size=(3, 4)).astype("float32")})


def tf_keras_op_lambda_h5(path: Path) -> Case:
    """A tf_keras HDF5 model with a TensorFlow op called on a Keras tensor (a ``TFOpLambda``)."""
    import tensorflow as tf
    import tf_keras

    rng = _rng()
    inputs = tf_keras.Input((4,), name="numbers")
    x = tf_keras.layers.Dense(3, activation="tanh")(inputs)
    x = tf.math.multiply(x, 2.0)
    outputs = tf_keras.layers.Dense(2, name="out")(x)
    model = tf_keras.Model(inputs, outputs)
    assert [layer.__class__.__name__ for layer in model.layers][2] == "TFOpLambda"
    randomize(model.weights, rng, -1.0, 1.0)
    return keras_case(model, path, {"numbers": rng.normal(size=(3, 4)).astype("float32")})


def keras3_attention_model(path: Path) -> Case:
    """Keras 3 Normalization and MultiHeadAttention (Einsum inside): no TF.js layers for either."""
    import keras

    rng = _rng()
    tokens = keras.Input((6, 8), name="tokens")
    normalization = keras.layers.Normalization(axis=-1, name="normalize")
    normalization.adapt(rng.normal(2.0, 3.0, size=(32, 6, 8)).astype("float32"))
    x = normalization(tokens)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="attention")(x, x)
    x = keras.layers.LayerNormalization()(x + attended)
    outputs = keras.layers.Dense(3, activation="gelu", name="head")(
        keras.layers.GlobalAveragePooling1D()(x)
    )
    model = keras.Model(tokens, outputs)
    for variable in model.trainable_weights:
        variable.assign(rng.uniform(-0.5, 0.5, variable.shape).astype("float32"))
    return keras_case(model, path, {"tokens": rng.normal(size=(2, 6, 8)).astype("float32")})


def wide_int_module(directory: Path) -> Case:
    """int64 and uint8 inputs (TF.js feeds them as int32) and an int64 output."""
    import tensorflow as tf

    rng = _rng()

    class Lookup(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = tf.Variable(rng.normal(size=(10, 3)).astype("float32"))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None], tf.int64, name="ids"),
                tf.TensorSpec([None, 2, 2, 3], tf.uint8, name="pixels"),
            ]
        )
        def __call__(self, ids: Any, pixels: Any) -> Any:
            return {
                "embedding": tf.gather(self.table, ids),
                "scaled": tf.cast(pixels, tf.float32) / 255.0,
                "count": tf.shape(ids, out_type=tf.int64),
            }

    module = Lookup()
    tf.saved_model.save(module, str(directory))
    inputs = {
        "ids": np.array([1, 5, 9], dtype="int64"),
        "pixels": rng.integers(0, 256, size=(1, 2, 2, 3)).astype("uint8"),
    }
    return Case(directory, inputs, run_signature(directory, inputs))


def tf_keras_conv_batch_norm(directory: Path) -> Case:
    """tf_keras convolutions with BatchNormalization (FusedBatchNormV3) and relu, tanh, relu6."""
    import tf_keras

    rng = _rng()
    inputs = tf_keras.Input((8, 8, 3), name="img")
    x = tf_keras.layers.Conv2D(4, 3, use_bias=False)(inputs)
    x = tf_keras.layers.ReLU()(tf_keras.layers.BatchNormalization()(x))
    x = tf_keras.layers.Conv2D(4, 3)(x)
    x = tf_keras.layers.Activation("tanh")(tf_keras.layers.BatchNormalization()(x))
    x = tf_keras.layers.DepthwiseConv2D(3)(x)
    x = tf_keras.layers.ReLU(6.0)(tf_keras.layers.BatchNormalization()(x))
    outputs = tf_keras.layers.GlobalAveragePooling2D(name="pool")(x)
    model = tf_keras.Model(inputs, outputs)
    randomize(model.weights, rng, 0.2, 0.8)
    model.save(str(directory), save_format="tf")
    feed = {"img": rng.normal(size=(2, 8, 8, 3)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def keras3_recurrent_model(path: Path) -> Case:
    """Keras 3 LSTM and GRU returning sequences: While loops writing TensorLists."""
    import keras

    rng = _rng()
    inputs = keras.Input((5, 3), name="sequence")
    x = keras.layers.LSTM(4, return_sequences=True)(inputs)
    x = keras.layers.GRU(3, return_sequences=True)(x)
    outputs = keras.layers.Dense(2, activation="tanh", name="steps")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.5, 0.5)
    return keras_case(model, path, {"sequence": rng.normal(size=(2, 5, 3)).astype("float32")})


def keras3_grouped_conv_model(path: Path) -> Case:
    """Keras 3 grouped convolutions: one input channel per group (depthwise) and two per group.

    Keras runs them in ``tf.function(jit_compile=True)``: calls freezing does not inline.
    """
    import keras

    rng = _rng()
    inputs = keras.Input((9, 9, 8), name="features")
    x = keras.layers.Conv2D(16, 3, padding="same", groups=8, name="depthwise_like")(inputs)
    x = keras.layers.Conv2D(8, 3, groups=4, activation="relu", name="four_groups")(x)
    outputs = keras.layers.GlobalAveragePooling2D(name="pooled")(x)
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.5, 0.5)
    return keras_case(model, path, {"features": rng.normal(size=(2, 9, 9, 8)).astype("float32")})


def spectrogram_module(directory: Path) -> Case:
    """An audio front end: framed, windowed RFFT magnitudes and log power (RFFT and ComplexAbs,
    which TF.js runs on cpu and webgl but not wasm)."""
    import tensorflow as tf

    class Spectrogram(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32, name="audio")])
        def __call__(self, audio: Any) -> Any:
            frames = tf.signal.frame(audio, 16, 8) * tf.signal.hann_window(16)
            magnitude = tf.abs(tf.signal.rfft(frames))
            return {"magnitude": magnitude, "log_power": tf.math.log(magnitude**2 + 1e-3)}

    module = Spectrogram()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"audio": _rng().uniform(-1.0, 1.0, size=(2, 64)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def filter_readers_module(directory: Path) -> Case:
    """Large weights read in every way a filter can be: by convolutions only (two of them), by a
    convolution and a reduction, as a matmul's kernel, and as a matmul's left operand."""
    import tensorflow as tf

    rng = _rng()

    class FilterReaders(tf.Module):
        def __init__(self) -> None:
            self.shared = tf.Variable(rng.normal(size=(3, 3, 8, 16)).astype("float32"))
            self.summed = tf.Variable(rng.normal(size=(1, 1, 8, 16)).astype("float32"))
            self.depthwise = tf.Variable(rng.normal(size=(3, 3, 16, 1)).astype("float32"))
            self.kernel = tf.Variable(rng.normal(size=(16, 16)).astype("float32"))
            self.scale = tf.Variable(rng.uniform(0.5, 1.5, size=(16,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 6, 6, 8], tf.float32)])
        def __call__(self, x: Any) -> Any:
            a = tf.nn.conv2d(x, self.shared, 1, "SAME") * self.scale + 0.5
            b = tf.nn.relu(tf.nn.conv2d(x, self.shared, 2, "VALID"))
            c = tf.nn.conv2d(x, self.summed, 1, "SAME") + tf.reduce_sum(self.summed)
            d = tf.nn.depthwise_conv2d(tf.nn.relu6(a + c), self.depthwise, [1, 1, 1, 1], "SAME")
            pooled = tf.reduce_mean(d, [1, 2]) + tf.reduce_mean(b, [1, 2])
            left = tf.matmul(self.kernel, tf.transpose(pooled))
            return tf.matmul(pooled, self.kernel) + tf.transpose(left)

    module = FilterReaders()
    tf.saved_model.save(module, str(directory))
    inputs = {"x": rng.normal(size=(2, 6, 6, 8)).astype("float32")}
    return Case(directory, inputs, run_signature(directory, inputs))
