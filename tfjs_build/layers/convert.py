"""Keras model file -> TF.js layers-model ``Artifact``, without TensorFlow or Keras."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tfjs_build
from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import SourceError
from tfjs_build.layers.expand import apply_expansions
from tfjs_build.layers.source import KerasModelFile, open_keras_model
from tfjs_build.layers.topology import RewrittenModel, rewrite_model_config
from tfjs_build.layers.unsupported import UnsupportedLayer, unsupported_model_error
from tfjs_build.layers.weight_shapes import check_weight_shapes
from tfjs_build.layers.weights import read_weights
from tfjs_build.options import Origin
from tfjs_build.tfjs_versions import PINNED, topology_gaps


@contextmanager
def _malformed_as_source_error(path: Path) -> Iterator[None]:
    """A config of the wrong shape (a list where an object belongs...) is the file's fault."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise SourceError(
            f"{path}: the model config is malformed ({type(exc).__name__}: {exc}); "
            "re-save the model with Keras"
        ) from None


def _topology(model: KerasModelFile) -> RewrittenModel:
    with _malformed_as_source_error(model.path):
        return rewrite_model_config(model.model_config, model.keras_major)


def find_unsupported_layers(path: Path, tfjs_version: str = PINNED) -> list[UnsupportedLayer]:
    """Every layer of the model at ``path`` that a TF.js layers model cannot express (in TF.js
    ``tfjs_version``)."""
    with open_keras_model(Path(path), with_weights=False) as model:
        rewritten = _topology(model)
        return rewritten.problems + _version_problems(rewritten.topology, tfjs_version)


def _version_problems(topology: Any, tfjs_version: str) -> list[UnsupportedLayer]:
    """The layers whose names TF.js ``tfjs_version`` cannot deserialize (``tfjs_versions``)."""
    return [
        UnsupportedLayer(name, class_name, reason)
        for name, class_name, reason in topology_gaps(topology, tfjs_version)
    ]


def convert_keras_to_layers(
    path: Path, *, origin: Origin = "python", tfjs_version: str = PINNED
) -> Artifact:
    """Convert a ``.keras``, ``.h5`` or ``.hdf5`` Keras model to a TF.js layers model.

    Raises ``SourceError`` for unreadable, weights-only or unsafe files and
    ``UnsupportedModelError`` (naming every offending layer) when TF.js layers cannot express it;
    ``origin`` says where the options were set, so the hint uses its syntax.
    """
    path = Path(path)
    with open_keras_model(path) as model:
        rewritten = _topology(model)
        problems = rewritten.problems + _version_problems(rewritten.topology, tfjs_version)
        if problems:
            raise unsupported_model_error(path, problems, origin)
        with _malformed_as_source_error(path):
            weights = read_weights(model, rewritten.topology)
            check_weight_shapes(path, rewritten.topology, weights)
            model_topology, weights = apply_expansions(
                rewritten.topology, rewritten.expansions, weights
            )
        generated_by = f"keras v{model.keras_version}"
        topology = {
            **model_topology,
            "keras_version": model.keras_version,
            "backend": model.backend,
        }
    return Artifact(
        format="layers-model",
        topology=topology,
        weights=weights,
        generated_by=generated_by,
        converted_by=f"tfjs-build {tfjs_build.__version__}",
    )
