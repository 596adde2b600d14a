"""Localize a graph model's divergence: every node of the converted graph that TensorFlow computes
under the same name (fused and rewritten nodes keep the name of the node they replace), in
TensorFlow and in TF.js on the same inputs; the first that goes wrong, re-run in TF.js on
TensorFlow's values of its inputs; and its causes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.artifact.files import read_artifact, read_model_json
from tfjs_build.errors import RuntimeFailure
from tfjs_build.parity.compare import compare_output
from tfjs_build.parity.divergence import Cause, Divergence, Step, value_causes
from tfjs_build.parity.reference import LoadedSignature
from tfjs_build.parity.tolerances import Tolerance
from tfjs_build.parity.weight_causes import quantized_weights, weight_causes
from tfjs_build.runtime.protocol import TfjsRuntime

_NOT_COMPARED = frozenset({"Const", "Placeholder", "NoOp", "PlaceholderWithDefault"})


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
    graph, feeds, constants = _source_graph(model, inputs)
    names = [name for name, node in nodes.items() if _comparable(name, node, graph)]
    reference = _run_source(graph, feeds, [f"{name}:0" for name in names])
    candidate = runtime.run(artifact_dir, inputs, names)
    steps = []
    for name in names:
        comparison = compare_output(name, reference[f"{name}:0"], candidate[name], tolerance)
        steps.append(Step.of(name, str(nodes[name]["op"]), [comparison]))
    divergence = Divergence(runtime.backend, "node", tuple(steps))
    suspect = next((step for step in steps if not step.passed), None)
    if suspect is None:
        return divergence
    compared = {step.name: step for step in steps}
    node = nodes[suspect.name]
    weights = [i.split(":")[0] for i in _data_inputs(node) if _is_constant(nodes, i)]
    data_inputs = [i for i in _data_inputs(node) if not _is_constant(nodes, i)]
    parents = [i.split(":")[0] for i in data_inputs]
    unseen = [p for p in parents if p not in compared and nodes[p].get("op") != "Placeholder"]
    inputs_error = (
        None
        if unseen
        else max((compared[p].max_abs_error for p in parents if p in compared), default=0.0)
    )
    divergence = replace(divergence, first=suspect, inputs_max_abs_error=inputs_error)
    known = [_tensor(i) for i in data_inputs]
    if not all(graph_has(graph, t) for t in known):
        return divergence  # a rewritten input TensorFlow does not compute: not re-run
    given = _run_source(graph, feeds, known)
    try:
        own = runtime.run(
            artifact_dir, {name: given[_tensor(name)] for name in data_inputs}, [suspect.name]
        )[suspect.name]
    except RuntimeFailure:
        return divergence
    expected = reference[f"{suspect.name}:0"]
    own_comparison = compare_output(suspect.name, expected, own, tolerance)
    divergence = replace(
        divergence,
        own_error=not own_comparison.passed,
        own_max_abs_error=own_comparison.max_abs_error,
    )
    if own_comparison.passed:
        return divergence
    causes = value_causes(runtime.backend, [*given.values(), expected], [own])
    fed = {name: given[_tensor(name)] for name in data_inputs}

    def fixed_by(floats: Mapping[str, np.ndarray]) -> bool:  # constants fed like inputs
        try:
            again = runtime.run(artifact_dir, {**fed, **floats}, [suspect.name])[suspect.name]
        except RuntimeFailure:
            return False
        return compare_output(suspect.name, expected, again, tolerance).passed

    stored = read_artifact(artifact_dir).weight_dict()
    pairs = {n: (stored[n], constants[n]) for n in weights if n in stored and n in constants}
    quantization = quantized_weights(artifact_dir)
    causes += weight_causes(pairs, quantization, fixed_by, lambda n: f"the constant {n}")
    if not causes:
        causes = [_kernel_cause(suspect.op, [name for name in weights if name not in constants])]
    return replace(divergence, causes=tuple(causes))


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


def _source_graph(
    model: Any, inputs: Mapping[str, np.ndarray]
) -> tuple[Any, dict[Any, Any], dict[str, np.ndarray]]:
    """The source's frozen graph as the converter froze it, its feeds for ``inputs`` and the
    names of its constants."""
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
    return graph, feeds, constants


def _traced(model: Any) -> Any:
    from tfjs_build.graph.keras_model import trace_keras_model

    if type(model).__module__.startswith("tf_keras"):
        return trace_keras_model(model, "tf_keras", "the source")
    return trace_keras_model(model, "keras3", "the source")


def _run_source(graph: Any, feeds: Mapping[Any, Any], tensors: list[str]) -> dict[str, np.ndarray]:
    tf = import_tensorflow()
    with tf.compat.v1.Session(graph=graph) as session:
        values = session.run(tensors, feed_dict=dict(feeds))
    return {name: np.asarray(value) for name, value in zip(tensors, values, strict=True)}
