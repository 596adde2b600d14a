"""Localize a graph model's divergence: every node of the converted graph that TensorFlow computes
under the same name (fused and rewritten nodes keep the name of the node they replace), in
TensorFlow and in TF.js on the same inputs; the first that goes wrong, re-run in TF.js on
TensorFlow's values of its inputs; and its causes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.artifact.files import read_artifact, read_model_json
from tfjs_build.errors import RuntimeFailure
from tfjs_build.parity.divergence import Cause, Divergence, Step, measure, value_causes
from tfjs_build.parity.reference import LoadedSignature
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.parity.weight_causes import quantized_weights, weight_causes
from tfjs_build.runtime.protocol import TfjsRuntime

_NOT_COMPARED = frozenset({"Const", "Placeholder", "NoOp", "PlaceholderWithDefault"})


@dataclass(frozen=True)
class _Source:
    """The source's frozen graph (as the converter froze it), the feeds of the probe inputs and
    its constants by name."""

    graph: Any
    feeds: dict[Any, Any]
    constants: dict[str, np.ndarray]

    def run(self, tensors: list[str]) -> dict[str, np.ndarray]:
        """The values of ``tensors`` (``node:index``) on the probe inputs."""
        tf = import_tensorflow()
        with tf.compat.v1.Session(graph=self.graph) as session:
            values = session.run(tensors, feed_dict=dict(self.feeds))
        return {name: np.asarray(value) for name, value in zip(tensors, values, strict=True)}


@dataclass(frozen=True)
class _Suspect:
    """The first node beyond the tolerance, its inputs, constants and expected value."""

    step: Step
    inputs: list[str]
    constants: list[str]
    expected: np.ndarray


def localize(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    model: Any,
    inputs: Mapping[str, np.ndarray],
    tolerance: Tolerance,
) -> Divergence:
    """Where the graph artifact in ``artifact_dir`` first diverges from ``model`` (the source's
    SavedModel signature, or its Keras model) on ``inputs`` on ``runtime``'s backend."""
    nodes = _artifact_nodes(artifact_dir)
    source = _source_graph(model, inputs)
    names = [name for name, node in nodes.items() if _comparable(name, node, source.graph)]
    reference = source.run([f"{name}:0" for name in names])
    candidate = runtime.run(artifact_dir, inputs, names)
    steps = {
        name: Step.of(
            name,
            str(nodes[name]["op"]),
            [measure(reference[f"{name}:0"], candidate[name], tolerance)],
        )
        for name in names
    }
    divergence = Divergence(runtime.backend, "node", tuple(steps.values()))
    first = next((step for step in steps.values() if not step.passed), None)
    if first is None:
        return divergence
    node = nodes[first.name]
    suspect = _Suspect(
        first,
        [i for i in _data_inputs(node) if not _is_constant(nodes, i)],
        [i.split(":")[0] for i in _data_inputs(node) if _is_constant(nodes, i)],
        reference[f"{first.name}:0"],
    )
    parents = [i.split(":")[0] for i in suspect.inputs]
    unseen = [p for p in parents if p not in steps and nodes[p].get("op") != "Placeholder"]
    worst = max((steps[p].max_abs_error for p in parents if p in steps), default=0.0)
    divergence = replace(divergence, first=first, inputs_max_abs_error=None if unseen else worst)
    return _examine(runtime, artifact_dir, source, suspect, tolerance, divergence)


def _examine(
    runtime: TfjsRuntime,
    artifact_dir: Path,
    source: _Source,
    suspect: _Suspect,
    tolerance: Tolerance,
    divergence: Divergence,
) -> Divergence:
    """``divergence`` with whether ``suspect``'s error is its own (re-run on TensorFlow's values
    of its inputs, fed to TF.js by node name) and its causes."""
    known = [_tensor(i) for i in suspect.inputs]
    if not all(graph_has(source.graph, t) for t in known):
        return divergence  # a rewritten input TensorFlow does not compute: not re-run
    given = source.run(known)
    fed = {name: given[_tensor(name)] for name in suspect.inputs}
    name = suspect.step.name

    def rerun(constants: Mapping[str, np.ndarray]) -> np.ndarray | None:  # fed like inputs
        try:
            return runtime.run(artifact_dir, {**fed, **constants}, [name])[name]
        except RuntimeFailure:
            return None

    own = rerun({})
    if own is None:
        return divergence
    found = measure(suspect.expected, own, tolerance)
    divergence = replace(
        divergence, own_error=not found.passed, own_max_abs_error=found.max_abs_error
    )
    if found.passed:
        return divergence

    def fixed_by(constants: Mapping[str, np.ndarray]) -> bool:
        again = rerun(constants)
        return again is not None and measure(suspect.expected, again, tolerance).passed

    stored = read_artifact(artifact_dir).weight_dict()
    pairs = {
        n: (stored[n], source.constants[n])
        for n in suspect.constants
        if n in stored and n in source.constants
    }
    causes = value_causes(runtime.backend, [*given.values(), suspect.expected], [own])
    causes += weight_causes(
        pairs, quantized_weights(artifact_dir), fixed_by, lambda n: f"the constant {n}"
    )
    unmatched = [n for n in suspect.constants if n not in source.constants]
    return replace(divergence, causes=tuple(causes or [_kernel_cause(suspect.step.op, unmatched)]))


def _kernel_cause(op: str, unmatched: list[str]) -> Cause:
    """TF.js computing ``op`` differently, or (when the converter made some of its constants,
    fusing or folding, so that the source has none of their names) those constants."""
    detail = f"TF.js computes {op} differently from TensorFlow here"
    if unmatched:
        detail += (
            f", or its constants made by the conversion ({', '.join(unmatched)}) are wrong: the "
            "source has none of those names to compare them with"
        )
    return Cause("kernel", detail)


def _is_constant(nodes: Mapping[str, Mapping[str, Any]], tensor: str) -> bool:
    node = nodes.get(tensor.split(":")[0])
    return node is not None and node.get("op") == "Const"


def graph_has(graph: Any, tensor: str) -> bool:
    """Whether ``graph`` has the tensor named ``tensor`` (``node:index``)."""
    try:
        graph.get_tensor_by_name(tensor)
    except (KeyError, ValueError):
        return False
    return True


def _artifact_nodes(artifact_dir: Path) -> dict[str, dict[str, Any]]:
    """The artifact's nodes by name, inputs before the nodes that take them."""
    listed = read_model_json(artifact_dir)["modelTopology"].get("node", [])
    by_name = {str(node["name"]): node for node in listed}
    ordered: dict[str, dict[str, Any]] = {}

    def visit(name: str, path: frozenset[str]) -> None:
        if name in ordered or name not in by_name or name in path:
            return
        for parent in by_name[name].get("input", []):
            visit(str(parent).lstrip("^").split(":")[0], path | {name})
        ordered[name] = by_name[name]

    for name in by_name:
        visit(name, frozenset())
    return ordered


def _comparable(name: str, node: Mapping[str, Any], graph: Any) -> bool:
    return node.get("op") not in _NOT_COMPARED and graph_has(graph, f"{name}:0")


def _data_inputs(node: Mapping[str, Any]) -> list[str]:
    return [str(i) for i in node.get("input", []) if not str(i).startswith("^")]


def _tensor(name: str) -> str:
    return name if ":" in name else f"{name}:0"


def _source_graph(model: Any, inputs: Mapping[str, np.ndarray]) -> _Source:
    """The source's frozen graph as the converter froze it, fed ``inputs``."""
    from tfjs_build.graph.freeze import freeze_function

    tf = import_tensorflow()
    function = model.function if isinstance(model, LoadedSignature) else _traced(model)
    frozen = freeze_function(function, "the source")
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(frozen.graph_def, name="")
    values = list(inputs.values())
    feeds = {
        graph.get_tensor_by_name(binding.tensor): inputs.get(binding.key, values[i])
        for i, binding in enumerate(frozen.inputs)
    }
    constants = {
        node.name: tf.make_ndarray(node.attr["value"].tensor)
        for node in frozen.graph_def.node
        if node.op == "Const"
    }
    return _Source(graph, feeds, constants)


def _traced(model: Any) -> Any:
    from tfjs_build.graph.keras_model import trace_keras_model

    if type(model).__module__.startswith("tf_keras"):
        return trace_keras_model(model, "tf_keras", "the source")
    return trace_keras_model(model, "keras3", "the source")
