"""A TF.js layers model as a graph model: the Keras model it describes rebuilt in tf_keras (from
the JSON topology; TF.js layers hold no Python code) with its weights, then traced and frozen."""

from __future__ import annotations

import json
from collections.abc import Callable
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
    model = rebuilt(
        lambda: tf_keras.models.model_from_json(json.dumps(topology)), source, "tf_keras"
    )
    return with_weights(model, artifact, source, lambda weight: weight.name.split(":")[0])


def rebuilt(build: Callable[[], Any], source: Path, keras: str) -> Any:
    """``build()``'s model; its failure (a config ``keras`` cannot build) as one error."""
    try:
        return build()
    except Exception as exc:  # Keras raises ValueError, TypeError... for configs it cannot build
        detail = " ".join(str(exc).split())[:300]
        raise UnsupportedModelError(
            f"{source}: {keras} cannot rebuild this TF.js layers model ({detail})"
        ) from None


def with_weights(
    model: Any, artifact: Artifact, source: Path, name_of: Callable[[Any], str]
) -> Any:
    """``model`` with the artifact's weights set, each found by its TF.js name (``name_of``)."""
    stored = dict(artifact.weights)
    lacking = [name_of(w) for w in model.weights if name_of(w) not in stored]
    if lacking:
        raise SourceError(
            f"{source}: the model needs weight(s) {', '.join(map(repr, lacking))}, which its "
            "weights manifest lacks"
        )
    model.set_weights([stored[name_of(w)].reshape(tuple(w.shape)) for w in model.weights])
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
        tfjs_version=options.tfjs_version,
    )
