"""Models whose graphs aborted TF.js wasm ("memory access out of bounds") while cpu ran them:
a bidirectional GRU over masked sequences and a DeBERTa-style disentangled attention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.graph.models import Case, keras_case, randomize, run_signature

RNG_SEED = 29


def masked_bigru_model(path: Path) -> Case:
    """Keras 3: padded token ids (0 masked) through stacked bidirectional GRUs; the backward
    direction reverses the mask (ReverseV2 of booleans)."""
    import keras

    rng = np.random.default_rng(RNG_SEED)
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(20, 6, mask_zero=True)(tokens)
    x = keras.layers.Bidirectional(keras.layers.GRU(5, return_sequences=True))(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(4))(x)
    model = keras.Model(tokens, keras.layers.Dense(3, name="scores")(x))
    randomize(model.weights, rng, -1.0, 1.0)
    ids = np.array([[3, 5, 1, 0, 0, 0, 0], [2, 2, 9, 4, 7, 1, 0], [8, 0, 0, 0, 0, 0, 0]])
    return keras_case(model, path, {"tokens": ids.astype("int32")})


def disentangled_attention_export(directory: Path) -> Case:
    """Keras 3, exported: DeBERTa's content-to-position and position-to-content scores, each
    picked from relative-position embeddings with ``ops.take_along_axis`` (a GatherV2 with
    ``batch_dims``)."""
    import keras
    from keras import ops

    class Disentangled(keras.layers.Layer):
        def __init__(self, span: int = 4, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.span = span

        def build(self, shape: Any) -> None:
            width = shape[-1]
            self.q, self.k, self.v = (self.add_weight(shape=(width, width)) for _ in "qkv")
            self.positions = self.add_weight(shape=(2 * self.span, width))

        def call(self, x: Any) -> Any:
            n, batch = ops.shape(x)[1], ops.shape(x)[0]
            q, k, v = x @ self.q, x @ self.k, x @ self.v
            relative = ops.expand_dims(ops.arange(n), 1) - ops.expand_dims(ops.arange(n), 0)
            buckets = ops.clip(relative + self.span, 0, 2 * self.span - 1)
            buckets = ops.broadcast_to(ops.expand_dims(buckets, 0), (batch, n, n))
            c2p = ops.take_along_axis(q @ ops.transpose(self.positions @ self.k), buckets, -1)
            p2c = ops.take_along_axis(k @ ops.transpose(self.positions @ self.q), buckets, -1)
            c2c = q @ ops.transpose(k, (0, 2, 1))
            weights = ops.softmax((c2c + c2p + ops.transpose(p2c, (0, 2, 1))) / 3.0, axis=-1)
            return weights @ v

    rng = np.random.default_rng(RNG_SEED)
    x = keras.Input((6, 8), name="x")
    model = keras.Model(x, keras.layers.Dense(3)(Disentangled(name="attention")(x)))
    randomize(model.weights, rng, -0.5, 0.5)
    model.export(str(directory), verbose=False)
    feed = {"x": rng.normal(size=(2, 6, 8)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))
