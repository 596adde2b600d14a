"""Describe a model source for ``tfjs-build inspect``: a Keras file or a SavedModel directory.

A Keras file is read the way the layers converter reads it, without TensorFlow: its layers, inputs
and outputs, what ``format = "auto"`` would build and why, the layers TF.js layers cannot express,
and (when it converts to a layers model) the weight names quantization patterns match. A
SavedModel's signatures come from ``saved_model.pb``; it is then converted in memory (TensorFlow)
to find the ops TF.js cannot run and the names of the graph model's weights.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfjs_build.artifact.summary import WeightDescription
from tfjs_build.artifact.topology import (
    TensorDescription,
    count_layers,
    layers_inputs,
    layers_outputs,
    tensors_json,
)
from tfjs_build.convert import SAVED_MODEL_REASON, auto_choice
from tfjs_build.errors import SourceError, TfjsBuildError, UnsupportedModelError
from tfjs_build.malformed import MALFORMED_JSON_ERRORS, malformed_json
from tfjs_build.options import Origin
from tfjs_build.sources.registry import source_kind

SERVING_TAGS = frozenset({"serve"})
SERVING_SIGNATURE = "serving_default"


@dataclass
class SourceSummary:
    """What ``tfjs-build inspect`` shows for a source."""

    path: Path
    kind: str
    made_by: str
    model: str = ""
    inputs: list[TensorDescription] = field(default_factory=list)
    outputs: list[TensorDescription] = field(default_factory=list)
    layers: Counter[str] = field(default_factory=Counter)
    signatures: list[str] = field(default_factory=list)
    auto_format: str = ""
    auto_reason: str = ""
    cannot_express: list[str] = field(default_factory=list)
    """What TF.js cannot express: layers (for a layers model) or ops (for a graph model)."""
    cannot_express_label: str = "TF.js layers cannot express"
    weight_list: list[WeightDescription] | None = None
    """The weights as the artifact ``auto`` builds names them; ``None``: known only after
    converting (``weights_note`` says how)."""
    weights_note: str = ""

    def to_json(self, *, weights: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``inspect --json``; ``weights``: with ``weightList``)."""
        document: dict[str, Any] = {
            "path": str(self.path),
            "source": self.kind,
            "madeBy": self.made_by,
            "model": self.model,
            "inputs": tensors_json(self.inputs),
            "outputs": tensors_json(self.outputs),
            "layers": dict(sorted(self.layers.items())),
            "signatures": self.signatures,
            "autoFormat": self.auto_format,
            "autoReason": self.auto_reason,
            "cannotExpress": self.cannot_express,
        }
        if self.weight_list is not None:
            document["weights"] = len(self.weight_list)
            document["parameters"] = sum(math.prod(w.shape) for w in self.weight_list)
        if weights:
            listing = self.weight_list
            document["weightList"] = None if listing is None else [w.to_json() for w in listing]
            document["weightsNote"] = self.weights_note
        return document


def summarize_source(path: Path, *, origin: Origin = "python") -> SourceSummary:
    """Describe the source at ``path`` as its kind does (hints in ``origin``'s syntax)."""
    path = Path(path)
    return source_kind(path).summarize(path, origin)


# --- Keras files (no TensorFlow) ---------------------------------------------------------------


def summarize_keras(path: Path, label: str) -> SourceSummary:
    """A Keras model (``label`` says which kind) read like the layers converter reads it."""
    from tfjs_build.layers.shapes import output_shapes
    from tfjs_build.layers.source import open_keras_model
    from tfjs_build.layers.topology import rewrite_model_config

    with open_keras_model(path, with_weights=False) as model:
        summary = SourceSummary(
            path, label, f"Keras {model.keras_version} ({model.backend} backend)"
        )
        with malformed_json(SourceError, f"{path}: the model config", "re-save it with Keras"):
            config = model.model_config
            summary.model = f"{config.get('class_name')} {_name(config)}".strip()
            count_layers(config, summary.layers)
            topology, problems, _ = rewrite_model_config(config, model.keras_major)
    summary.auto_format, summary.auto_reason = auto_choice(problems)
    summary.cannot_express = [problem.describe() for problem in problems]
    with contextlib.suppress(*MALFORMED_JSON_ERRORS):  # a model TF.js cannot express may not say
        summary.inputs = layers_inputs(topology)
        shapes = output_shapes(topology)
        summary.outputs = [
            TensorDescription(t.name, shapes[i] if i < len(shapes) else None, "float32")
            for i, t in enumerate(layers_outputs(topology))
        ]
    if problems:
        summary.weights_note = (
            "a graph model names its weights after the converted graph; convert it and run "
            "`tfjs-build inspect --weights` on the artifact"
        )
    else:
        summary.weight_list = _layers_weights(path)
    return summary


def _name(config: dict[str, Any]) -> str:
    inner = config.get("config")
    return str(inner.get("name") or "") if isinstance(inner, dict) else ""


def _layers_weights(path: Path) -> list[WeightDescription]:
    """The weights of the layers model ``path`` converts to (read and checked like ``convert``)."""
    from tfjs_build.artifact.dtypes import tfjs_dtype
    from tfjs_build.layers.convert import convert_keras_to_layers

    artifact = convert_keras_to_layers(path)
    return [
        WeightDescription(name, tuple(int(d) for d in array.shape), tfjs_dtype(name, array))
        for name, array in artifact.weights
    ]


# --- SavedModels (TensorFlow) ------------------------------------------------------------------


def summarize_saved_model(path: Path, label: str, origin: Origin) -> SourceSummary:
    """A SavedModel's signatures, then its serving signature converted in memory."""
    from tfjs_build.graph.saved_model import signature_defs

    summary = SourceSummary(path, label, "TensorFlow")
    summary.cannot_express_label = "graph model"
    signatures = signature_defs(path)
    summary.signatures = [f"{key} [{', '.join(sorted(tags))}]" for tags, key, _ in signatures]
    summary.auto_format, summary.auto_reason = "graph", SAVED_MODEL_REASON
    served = [d for tags, key, d in signatures if tags == SERVING_TAGS and key == SERVING_SIGNATURE]
    if not served:
        summary.weights_note = (
            f"no {SERVING_SIGNATURE!r} signature tagged serve: convert it with the signature and "
            "tags you need, then inspect the artifact"
        )
        return summary
    summary.inputs = _tensors(served[0].inputs)
    summary.outputs = _tensors(served[0].outputs)
    _convert_in_memory(path, summary, origin)
    return summary


def _tensors(infos: Any) -> list[TensorDescription]:
    from tfjs_build._optional import import_tensorflow

    tf = import_tensorflow()
    described = []
    for key in sorted(infos):
        info = infos[key]
        dims = info.tensor_shape
        shape = (
            None
            if dims.unknown_rank
            else tuple(None if d.size < 0 else int(d.size) for d in dims.dim)
        )
        described.append(TensorDescription(key, shape, tf.dtypes.as_dtype(info.dtype).name))
    return described


def _convert_in_memory(path: Path, summary: SourceSummary, origin: Origin) -> None:
    """Convert with the defaults to find the ops TF.js cannot run and the weight names."""
    from tfjs_build.artifact.dtypes import tfjs_dtype
    from tfjs_build.graph.convert import convert_saved_model

    try:
        artifact = convert_saved_model(path, origin=origin)
    except UnsupportedModelError as exc:
        # "PATH (signature 'serving_default'): TF.js ... cannot run ...": the part after PATH's
        text = str(exc).removeprefix(str(path))
        summary.cannot_express = [text.split(": ", 1)[-1]]
        summary.weights_note = "known once the unsupported ops are dealt with"
        return
    except TfjsBuildError as exc:
        summary.weights_note = f"the conversion fails: {exc}"
        return
    summary.weight_list = [
        WeightDescription(name, tuple(int(d) for d in array.shape), tfjs_dtype(name, array))
        for name, array in artifact.weights
    ]


# --- frozen graphs (TensorFlow) ----------------------------------------------------------------


def summarize_frozen_graph(path: Path, label: str, reason: str) -> SourceSummary:
    """A GraphDef's Placeholders (its inputs) and the nodes no other node consumes (the outputs
    ``output_nodes`` may name)."""
    from tfjs_build.graph.frozen_graph import read_graph_file

    graph_file = read_graph_file(path)
    summary = SourceSummary(path, label, "TensorFlow")
    summary.inputs = _bindings(graph_file.inputs())
    candidates = graph_file.candidates()
    summary.outputs = _bindings(graph_file.outputs(candidates, "python")) if candidates else []
    summary.auto_format, summary.auto_reason = "graph", reason
    summary.weights_note = "convert it with its output nodes named, then inspect the artifact"
    return summary


def _bindings(bindings: Any) -> list[TensorDescription]:
    return [
        TensorDescription(
            b.key,
            None if b.shape is None else tuple(None if d < 0 else d for d in b.shape),
            b.dtype,
        )
        for b in bindings
    ]


# --- TF.js models (no TensorFlow) --------------------------------------------------------------


def summarize_tfjs_model(model_json: Path, label: str) -> SourceSummary:
    """A TF.js model as a source: what ``inspect`` shows for the artifact, and that ``auto``
    keeps its format."""
    from tfjs_build.artifact.summary import summarize_artifact

    artifact = summarize_artifact(model_json.parent)
    made_by = artifact.generated_by or artifact.converted_by or "TF.js"
    summary = SourceSummary(model_json, label, made_by)
    summary.inputs, summary.outputs = artifact.inputs, artifact.outputs
    summary.layers = artifact.layers or artifact.ops
    summary.auto_format = "layers" if artifact.format == "layers-model" else "graph"
    summary.auto_reason = f"a TF.js {summary.auto_format} model stays a {summary.auto_format} model"
    summary.cannot_express = artifact.problems
    summary.weight_list = artifact.weight_list
    return summary
