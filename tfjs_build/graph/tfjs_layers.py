"""A TF.js layers model as a graph model: the Keras model it describes rebuilt in tf_keras (from
the JSON topology; TF.js layers hold no Python code) with its weights, then traced and frozen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import MissingDependencyError, SourceError, UnsupportedModelError
from tfjs_build.options import ConvertOptions


def keras_model_of(artifact: Artifact, source: Path) -> Any:
    """The tf_keras model a TF.js layers artifact describes, its weights set by name."""
    try:
        import tf_keras
    except ImportError:
        raise MissingDependencyError(
            f"{source}: rebuilding a TF.js layers model in Keras needs tf_keras; pip install tf_keras"
        ) from None
    topology = artifact.topology.get("model_config", artifact.topology)
    try:
        model = tf_keras.models.model_from_json(json.dumps(topology))
    except Exception as exc:  # Keras raises ValueError, TypeError... for configs it cannot build
        detail = " ".join(str(exc).split())[:300]
        raise UnsupportedModelError(
            f"{source}: tf_keras cannot rebuild this TF.js layers model ({detail})"
        ) from None
    stored = dict(artifact.weights)
    values = []
    for weight in model.weights:
        name = weight.name.split(":")[0]
        if name not in stored:
            raise SourceError(
                f"{source}: the model needs weight {name!r}, which its weights manifest lacks"
            )
        values.append(stored[name].reshape(tuple(weight.shape)))
    model.set_weights(values)
    return model


def layers_artifact_to_graph(artifact: Artifact, source: Path, options: ConvertOptions) -> Artifact:
    """The graph model of a TF.js layers model (through tf_keras, see :func:`keras_model_of`)."""
    from tfjs_build.graph.convert import keras_model_to_graph

    return keras_model_to_graph(
        keras_model_of(artifact, source),
        "tf_keras",
        str(source),
        backends=options.target_backends,
        check_ops=options.check_ops,
        origin=options.origin,
    )
