"""SavedModels whose graphs Grappler turns into ops TF.js lacks (unary chains, batch norms fused
with their activation), as Keras 3, tf_keras, tf.Module and TF1 write them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.graph.models import Case, randomize, run_signature
from tests.graph.tf1_models import save_tf1


def keras3_prelu_export(directory: Path) -> Case:
    """Keras 3 PReLU after Dense and Conv2D layers, written by ``model.export``."""
    import keras

    rng = np.random.default_rng(21)
    inputs = keras.Input((6, 6, 2), name="image")
    x = keras.layers.PReLU(shared_axes=[1, 2])(keras.layers.Conv2D(3, 3)(inputs))
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.PReLU(name="activated")(keras.layers.Dense(5)(x))
    model = keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.8, 0.8)
    model.export(str(directory), verbose=False)
    feed = {"image": rng.normal(size=(2, 6, 6, 2)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def tf_keras_prelu(directory: Path) -> Case:
    """tf_keras Dense + PReLU saved as a SavedModel."""
    import tf_keras

    rng = np.random.default_rng(22)
    inputs = tf_keras.Input((7,), name="values")
    x = tf_keras.layers.PReLU()(tf_keras.layers.Dense(6)(inputs))
    outputs = tf_keras.layers.Dense(2, name="out")(x)
    model = tf_keras.Model(inputs, outputs)
    randomize(model.weights, rng, -0.8, 0.8)
    model.save(str(directory), save_format="tf")
    feed = {"values": rng.normal(size=(3, 7)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def unary_chains_module(directory: Path) -> Case:
    """Chains of unary ops (``sin(exp(x))``, ``tanh(sigmoid(-x))``) and swish, in a tf.Module."""
    import tensorflow as tf

    class Chains(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            return {
                "sin_exp": tf.sin(tf.exp(x)),
                "squashed": tf.tanh(tf.sigmoid(tf.negative(x))),
                "swish": x * tf.sigmoid(x),
            }

    module = Chains()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"x": np.random.default_rng(23).normal(size=(4, 5)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def batch_norm_relu_module(directory: Path) -> Case:
    """FusedBatchNormV3 then Relu on an input (no convolution to fold it into), and a batch norm
    whose result is added to the input before the Relu."""
    import tensorflow as tf

    rng = np.random.default_rng(24)

    class Normalized(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stats = [tf.Variable(rng.uniform(0.5, 1.5, 3).astype("float32")) for _ in range(4)]

        def _norm(self, x: Any) -> Any:
            scale, offset, mean, variance = self.stats
            y, *_ = tf.raw_ops.FusedBatchNormV3(
                x=x, scale=scale, offset=offset, mean=mean, variance=variance, is_training=False
            )
            return y

        @tf.function(input_signature=[tf.TensorSpec([None, 5, 5, 3], tf.float32, name="x")])
        def __call__(self, x: Any) -> Any:
            return {"relu": tf.nn.relu(self._norm(x)), "residual": tf.nn.relu(self._norm(x) + x)}

    module = Normalized()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"x": rng.normal(size=(2, 5, 5, 3)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def tf_keras_audio_front_end(directory: Path) -> Case:
    """A tf_keras spectrogram classifier: pooling, BatchNormalization and ReLU, then Dense."""
    import tf_keras

    rng = np.random.default_rng(25)
    inputs = tf_keras.Input((16, 12, 1), name="spectrogram")
    x = tf_keras.layers.AveragePooling2D(2)(inputs)
    x = tf_keras.layers.ReLU()(tf_keras.layers.BatchNormalization()(x))
    x = tf_keras.layers.Flatten()(x)
    outputs = tf_keras.layers.Dense(3, activation="softmax", name="labels")(x)
    model = tf_keras.Model(inputs, outputs)
    randomize(model.weights, rng, 0.3, 1.2)
    model.save(str(directory), save_format="tf")
    feed = {"spectrogram": rng.normal(size=(2, 16, 12, 1)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def _tf1_batch_norm_relu(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 2], name="features")
    stats = [
        tf.compat.v1.get_variable(f"bn{i}", initializer=rng.uniform(0.5, 1.5, 2).astype("float32"))
        for i in range(4)
    ]
    y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, *stats, is_training=False)
    return {"features": x}, {"activated": tf.nn.relu(y)}


def tf1_batch_norm_relu(directory: Path) -> Case:
    """A TF1 graph: ``fused_batch_norm`` then ``relu``."""
    save_tf1(directory, _tf1_batch_norm_relu, seed=26)
    feed = {"features": np.random.default_rng(27).normal(size=(3, 4, 4, 2)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))
