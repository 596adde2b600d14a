"""Session-wide models and artifacts for the parity tests: each built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parity.handmade import write_layers_artifact


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
