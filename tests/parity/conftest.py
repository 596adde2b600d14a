"""Session-wide models and artifacts for the parity tests: each built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parity.handmade import write_layers_artifact
from tfjs_build.artifact import write_artifact


@pytest.fixture(scope="session")
def mlp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tf_keras MLP with two outputs (``logits``, ``probs``) saved as ``mlp.h5``, plus
    hand-made artifacts ``float32/`` and ``uint8/``."""
    import numpy as np
    import tf_keras as K

    K.utils.set_random_seed(1)
    features = K.Input((12,), name="features")
    hidden = K.layers.Dense(32, activation="relu")(features)
    logits = K.layers.Dense(5, name="logits")(hidden)
    probs = K.layers.Softmax(name="probs")(logits)
    model = K.Model(features, [logits, probs])
    kernel, bias = model.get_layer("logits").get_weights()
    model.get_layer("logits").set_weights([kernel * 4.0, bias + np.float32(0.5)])
    root = tmp_path_factory.mktemp("mlp")
    model.save(root / "mlp.h5")
    write_layers_artifact(model, root / "float32")
    write_layers_artifact(model, root / "uint8", quantization="uint8")
    return root


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SavedModel with an integer lookup input (``ids`` into a 7-row table: TensorFlow rejects
    larger ids) and a float input, converted into ``graph/``."""
    import numpy as np
    import tensorflow as tf

    from tfjs_build.graph import convert_saved_model

    class Scorer(tf.Module):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.table = tf.Variable(rng.normal(size=(7, 6)).astype("float32"))
            self.kernel = tf.Variable(rng.normal(size=(6, 3)).astype("float32"))

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 5], tf.int32, name="ids"),
                tf.TensorSpec([None, 6], tf.float32, name="dense"),
            ]
        )
        def serve(self, ids, dense):
            pooled = tf.reduce_mean(tf.gather(self.table, ids), axis=1) + dense
            return {"scores": tf.nn.relu(pooled @ self.kernel), "norm": tf.norm(pooled, axis=1)}

    root = tmp_path_factory.mktemp("saved")
    module = Scorer()
    tf.saved_model.save(module, str(root / "model"), signatures=module.serve)
    write_artifact(convert_saved_model(root / "model"), root / "graph")
    return root
