"""Session fixtures for the features that ease a switch from tensorflowjs_converter (structured
outputs, mixed quantization, metadata, the Python API, the compatibility command): each real model
is built once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

MAKE_MODELS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np, tensorflow as tf
    out = Path(sys.argv[1]); out.mkdir(parents=True)
    rng = np.random.default_rng(3)
    class TwoHeads(tf.Module):
        def __init__(self):
            self.w = tf.Variable(rng.normal(size=(3, 4)).astype("float32"))
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x):
            h = tf.matmul(x, self.w)
            return {"scores": tf.nn.softmax(h), "total": tf.reduce_sum(h, axis=-1)}
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def half(self, x):
            return {"half": tf.matmul(x, self.w) * 0.5}
    m = TwoHeads()
    tf.saved_model.save(
        m, str(out / "two_heads"), signatures={"serving_default": m.serve, "half": m.half}
    )
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )
    frozen = convert_variables_to_constants_v2(m.half.get_concrete_function())
    (out / "frozen.pb").write_bytes(frozen.graph.as_graph_def().SerializeToString())
    (out / "frozen_outputs.txt").write_text(",".join(t.op.name for t in frozen.outputs))
    import tf_keras
    tf_keras.utils.set_random_seed(2)
    legacy = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(3, activation="relu"),
                                  tf_keras.layers.Dense(2)])
    legacy.save(out / "legacy.h5")
    legacy.save(out / "legacy_saved_model", save_format="tf")
    """
)


@pytest.fixture(scope="session")
def compat_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``two_heads``: a SavedModel whose default signature has two outputs (``scores``,
    ``total``) and whose ``half`` signature has one; ``legacy.h5`` and ``legacy_saved_model``:
    a tf_keras Dense(3, relu), Dense(2) model on 4 inputs, as HDF5 and as a Keras SavedModel;
    ``frozen.pb``: ``half`` frozen, its output nodes' names in ``frozen_outputs.txt``."""
    out = tmp_path_factory.mktemp("compat") / "models"
    subprocess.run([sys.executable, "-c", MAKE_MODELS, str(out)], check=True, capture_output=True)
    return out


def dense_forward(weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """What the ``dense`` model of ``model_files`` computes (Dense-relu then Dense) with
    ``weights`` (read back from an artifact, so dequantized as TF.js does)."""
    kernels = sorted(n for n in weights if n.endswith("/kernel"))
    hidden = np.maximum(x @ weights[kernels[0]] + weights[kernels[0][:-6] + "bias"], 0)
    return np.asarray(hidden @ weights[kernels[1]] + weights[kernels[1][:-6] + "bias"])
