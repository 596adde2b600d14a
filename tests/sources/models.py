"""Sources of the kinds people are told to export, built with the real libraries, each with the
outputs its own library computes on a fixed input (to check the parity reference against)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.layers.expansion_models import randomize


@dataclass(frozen=True)
class Source:
    """A saved source, an input batch and what the model that saved it returns for it."""

    path: Path
    feed: dict[str, np.ndarray]
    expected: np.ndarray


def _rng() -> np.random.Generator:
    return np.random.default_rng(7)


def tf_keras_sequential_mlp(directory: Path) -> Source:
    """``model.save(dir)`` of a tf_keras Sequential MLP (a Keras SavedModel)."""
    import tf_keras

    tf_keras.backend.clear_session()
    model = tf_keras.Sequential(
        [
            tf_keras.Input((6,), name="features"),
            tf_keras.layers.Dense(8, activation="relu"),
            tf_keras.layers.Dense(3, activation="softmax", name="probs"),
        ]
    )
    randomize(model)
    model.save(str(directory), save_format="tf")
    feed = {"features": _rng().normal(size=(4, 6)).astype("float32")}
    return Source(directory, feed, np.asarray(model(feed["features"], training=False)))


def tf_keras_functional_cnn(directory: Path) -> Source:
    """``model.save(dir)`` of a tf_keras functional CNN with BatchNormalization."""
    import tf_keras

    tf_keras.backend.clear_session()
    layers = tf_keras.layers
    image = tf_keras.Input((10, 10, 3), name="image")
    x = layers.Conv2D(6, 3, activation="relu")(image)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(4, 3, padding="same")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = tf_keras.Model(image, layers.Dense(2, name="score")(x))
    randomize(model)
    model.save(str(directory), save_format="tf")
    feed = {"image": _rng().normal(size=(2, 10, 10, 3)).astype("float32")}
    return Source(directory, feed, np.asarray(model(feed["image"], training=False)))


def tf1_frozen_mlp(path: Path) -> Source:
    """A TF1 graph (placeholders, variables, a session) frozen with
    ``graph_util.convert_variables_to_constants``; its output node is ``probs``."""
    import tensorflow as tf

    v1 = tf.compat.v1
    rng = _rng()
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None, 5], name="x")
        w1 = v1.Variable(rng.normal(size=(5, 7)).astype("float32"), name="w1")
        b1 = v1.Variable(rng.normal(size=(7,)).astype("float32"), name="b1")
        w2 = v1.Variable(rng.normal(size=(7, 3)).astype("float32"), name="w2")
        hidden = tf.nn.tanh(tf.matmul(x, w1) + b1, name="hidden")
        tf.nn.softmax(tf.matmul(hidden, w2), name="probs")
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            frozen = v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["probs"]
            )
            feed = {"x": rng.normal(size=(3, 5)).astype("float32")}
            expected = session.run("probs:0", {"x:0": feed["x"]})
    path.write_bytes(frozen.SerializeToString())
    return Source(path, feed, np.asarray(expected))


def tf2_frozen_cnn(path: Path) -> Source:
    """A TF2 function (a tf_keras CNN with BatchNormalization, called in inference mode) frozen
    with ``convert_variables_to_constants_v2``; its output node is ``Identity``."""
    import tensorflow as tf
    import tf_keras
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    tf_keras.backend.clear_session()
    layers = tf_keras.layers
    image = tf_keras.Input((9, 9, 2))
    x = layers.Conv2D(5, 3, activation="relu")(image)
    x = layers.BatchNormalization()(x)
    x = layers.Flatten()(x)
    model = tf_keras.Model(image, layers.Dense(4)(x))
    randomize(model)
    function = tf.function(lambda pixels: model(pixels, training=False))
    concrete = function.get_concrete_function(tf.TensorSpec([None, 9, 9, 2], tf.float32, "pixels"))
    frozen = convert_variables_to_constants_v2(concrete)
    path.write_bytes(frozen.graph.as_graph_def().SerializeToString())
    feed = {"pixels": _rng().normal(size=(2, 9, 9, 2)).astype("float32")}
    return Source(path, feed, np.asarray(model(feed["pixels"], training=False)))


_SAVE_IN_TFJS = r"""
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs-core");
require("@tensorflow/tfjs-backend-cpu");
const tfl = require("@tensorflow/tfjs-layers");

async function main() {
  const out = process.argv[process.argv.length - 1];
  await tf.setBackend("cpu");
  const features = tfl.input({shape: [6], name: "features"});
  let x = tfl.layers.dense({units: 8, activation: "relu", name: "hidden"}).apply(features);
  x = tfl.layers.batchNormalization({name: "bn"}).apply(x);
  const probs = tfl.layers.dense({units: 3, activation: "softmax", name: "probs"}).apply(x);
  const model = tfl.model({inputs: features, outputs: probs});
  model.setWeights(model.weights.map((w, i) =>
    w.name.includes("variance")
      ? tf.randomUniform(w.shape, 0.5, 1.5, "float32", i + 1)
      : tf.randomNormal(w.shape, 0, 0.5, "float32", i + 1)));
  // the layout TF.js's file saver (tf.io file://) writes: model.json beside weights.bin
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = Array.isArray(artifacts.weightData)
      ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : artifacts.weightData;
    fs.writeFileSync(path.join(out, "weights.bin"), Buffer.from(data));
    fs.writeFileSync(path.join(out, "model.json"), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{paths: ["weights.bin"], weights: artifacts.weightSpecs}],
    }));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: "JSON"}};
  }));
  const input = tf.randomNormal([4, 6], 0, 1, "float32", 99);
  const output = model.predict(input);
  fs.writeFileSync(path.join(out, "expected.json"), JSON.stringify({
    input: Array.from(await input.data()), output: Array.from(await output.data()),
  }));
}
main().catch((error) => { console.error(error); process.exit(1); });
"""


def tfjs_saved_layers_model(directory: Path) -> Source:
    """A functional layers model (Dense, BatchNormalization, softmax) built and saved by TF.js in
    Node through ``tf.io.withSaveHandler``, as ``model.json`` + ``weights.bin``."""
    import json
    import os
    import subprocess

    from tfjs_build.runtime.node_packages import ensure_node_packages, node_executable

    directory.mkdir(parents=True)
    modules = ensure_node_packages() / "node_modules"
    subprocess.run(
        [node_executable(), "-e", _SAVE_IN_TFJS, "--", str(directory)],
        check=True,
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
    )
    saved = json.loads((directory / "expected.json").read_text())
    (directory / "expected.json").unlink()
    feed = {"features": np.asarray(saved["input"], "float32").reshape(4, 6)}
    return Source(directory, feed, np.asarray(saved["output"], "float32").reshape(4, 3))
