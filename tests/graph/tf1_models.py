"""TF1-style SavedModels (graphs built in a session, saved by ``SavedModelBuilder``), as GPU-era
training scripts wrote them: ops named like their signature keys, channels-first layouts, tables
filled by the graph's table initializers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests.graph.graph_defs import GraphDefBuilder, strings
from tests.graph.models import Case, run_signature

GraphBody = Callable[[np.random.Generator], tuple[dict[str, Any], dict[str, Any]]]


def save_tf1(directory: Path, body: GraphBody, seed: int) -> None:
    """Build ``body``'s graph, initialize its variables and tables, save it under ``serve``."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        inputs, outputs = body(np.random.default_rng(seed))
        with v1.Session(graph=graph) as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            builder = v1.saved_model.Builder(str(directory))
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            builder.add_meta_graph_and_variables(
                session,
                ["serve"],
                signature_def_map={"serving_default": signature},
                main_op=v1.tables_initializer(),
            )
            builder.save()


def _variable(name: str, value: np.ndarray) -> Any:
    import tensorflow as tf

    return tf.compat.v1.get_variable(name, initializer=tf.constant(value.astype("float32")))


def _op_named_output(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    """A batch norm whose op is named ``output``, under the signature key ``output``."""
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
    stats = [_variable(f"bn_{i}", rng.uniform(0.5, 1.5, 3)) for i in range(4)]
    hidden = tf.nn.relu(x)
    y, _, _ = tf.compat.v1.nn.fused_batch_norm(
        hidden, stats[0], stats[1], stats[2], stats[3], is_training=False, name="output"
    )
    return {"x": x}, {"output": y}


def op_named_like_its_output_key(directory: Path) -> Case:
    save_tf1(directory, _op_named_output, seed=3)
    feed = {"x": np.random.default_rng(4).normal(size=(2, 4, 4, 3)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def _products_graph_def(rng: np.random.Generator) -> Any:
    """Nodes only Grappler and oneDNN write, reading ``x`` ([batch, 6, 4]): unary chains (one
    holding Inv, which TF.js lacks too), swish, mish, layer norm."""
    g = GraphDefBuilder()
    x = g.placeholder("x")
    scale = g.const("scale", rng.uniform(0.5, 1.5, 4).astype("float32"))
    offset = g.const("offset", rng.uniform(0.5, 1.5, 4).astype("float32"))
    g.node("sin_exp", "_UnaryOpsComposition", [x], op_names=strings(b"Exp", b"Sin"))
    g.node("inverse", "_UnaryOpsComposition", [x], op_names=strings(b"Sigmoid", b"Inv", b"Log"))
    g.node("swish", "_MklSwish", [x])
    g.node("mish", "_MklFusedMish", [x])
    g.node("layer_norm", "_MklLayerNorm", [x, scale, offset], epsilon=1e-3)
    return g.graph_def


PRODUCT_OUTPUTS = ("sin_exp", "inverse", "swish", "mish", "layer_norm")


def _grappler_products(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 6, 4], name="x")
    results = tf.graph_util.import_graph_def(
        _products_graph_def(rng),
        input_map={"x:0": x},
        return_elements=[f"{name}:0" for name in PRODUCT_OUTPUTS],
        name="optimized",
    )
    return {"x": x}, dict(zip(PRODUCT_OUTPUTS, results, strict=True))


def grappler_products(directory: Path) -> Case:
    """A graph already optimized by Grappler on a oneDNN build, saved as it is (what inference
    graph tools write)."""
    save_tf1(directory, _grappler_products, seed=5)
    feed = {"x": np.random.default_rng(6).normal(size=(3, 6, 4)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))


def _channels_first_net(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Conv2D, BiasAdd, Relu, depthwise convolution, fused batch norm and pools, all NCHW."""
    import tensorflow as tf

    x = tf.compat.v1.placeholder(tf.float32, [None, 3, 12, 12], name="image")
    kernel = _variable("kernel", rng.normal(size=(3, 3, 3, 4)) * 0.4)
    bias = _variable("bias", rng.normal(size=4))
    depthwise = _variable("depthwise", rng.normal(size=(3, 3, 4, 2)) * 0.4)
    stats = [_variable(f"bn_{i}", rng.uniform(0.5, 1.5, 8)) for i in range(4)]
    h = tf.nn.conv2d(x, kernel, [1, 1, 2, 2], "SAME", data_format="NCHW")
    h = tf.nn.relu(tf.nn.bias_add(h, bias, data_format="NCHW"))
    h = tf.nn.depthwise_conv2d(h, depthwise, [1, 1, 1, 1], "VALID", data_format="NCHW")
    h, _, _ = tf.compat.v1.nn.fused_batch_norm(
        h, *stats, is_training=False, data_format="NCHW", name="bn"
    )
    pooled = tf.nn.max_pool2d(h, 2, 2, "VALID", data_format="NCHW")
    averaged = tf.nn.avg_pool2d(h, 2, 1, "SAME", data_format="NCHW")
    return {"image": x}, {"pooled": pooled, "averaged": averaged}


def channels_first_net(directory: Path) -> Case:
    """A TF1 channels-first convolutional net, as trained on GPUs."""
    save_tf1(directory, _channels_first_net, seed=7)
    feed = {"image": np.random.default_rng(8).normal(size=(2, 3, 12, 12)).astype("float32")}
    return Case(directory, feed, run_signature(directory, feed))
