"""Train the example's three tiny models on synthetic data, in seconds.

- models/classifier.keras: a Keras 3 classifier (Dense + BatchNormalization + softmax)
- models/regressor.h5: a Keras 3 model saved as legacy HDF5 (Conv1D regressor)
- models/scorer/: a TensorFlow SavedModel (a tf.Module with a serving signature)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

MODELS = Path(__file__).parent / "models"


def train_classifier(rng: np.random.Generator) -> None:
    x = rng.standard_normal((512, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("int32") + (x[:, 3] > 1).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((8,), name="features"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3, activation="softmax", name="probabilities"),
        ],
        name="classifier",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=64, verbose=0)
    model.save(MODELS / "classifier.keras")


def train_regressor(rng: np.random.Generator) -> None:
    x = rng.standard_normal((256, 16, 2)).astype("float32")
    y = x[:, :, 0].mean(axis=1, keepdims=True) - x[:, :, 1].std(axis=1, keepdims=True)
    inputs = keras.Input((16, 2), name="signal")
    h = keras.layers.Conv1D(8, 3, activation="tanh", padding="same")(inputs)
    h = keras.layers.GlobalAveragePooling1D()(h)
    outputs = keras.layers.Dense(1, name="value")(h)
    model = keras.Model(inputs, outputs, name="regressor")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    model.save(MODELS / "regressor.h5")


class Scorer(tf.Module):
    """Scores 4-feature rows with a fitted linear model and a squashing function."""

    def __init__(self, weights: np.ndarray, bias: float) -> None:
        super().__init__()
        self.w = tf.Variable(weights[:, None], dtype=tf.float32)
        self.b = tf.Variable(bias, dtype=tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="rows")])
    def score(self, rows: tf.Tensor) -> dict[str, tf.Tensor]:
        logit = tf.matmul(rows, self.w) + self.b
        return {"score": tf.sigmoid(logit), "logit": logit}


def train_scorer(rng: np.random.Generator) -> None:
    x = rng.standard_normal((200, 4))
    y = x @ np.array([0.5, -1.0, 2.0, 0.1]) + 0.3 + 0.05 * rng.standard_normal(200)
    design = np.hstack([x, np.ones((200, 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    module = Scorer(coef[:4].astype("float32"), float(coef[4]))
    tf.saved_model.save(
        module, str(MODELS / "scorer"), signatures={"serving_default": module.score}
    )


def main() -> int:
    MODELS.mkdir(exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_classifier(rng)
    train_regressor(rng)
    train_scorer(rng)
    print(f"trained 3 models into {MODELS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
