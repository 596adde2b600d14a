"""TF1-style SavedModels (graphs built in a session, saved by ``SavedModelBuilder``), as GPU-era
training scripts wrote them: ops named like their signature keys, channels-first layouts, tables
filled by the graph's table initializers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

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
