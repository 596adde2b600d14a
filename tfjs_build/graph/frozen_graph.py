"""A frozen GraphDef file (``.pb`` or ``.pbtxt``) as a graph to convert, and run in TensorFlow.

Its inputs are its ``Placeholder`` nodes (named, typed and shaped as the graph records them);
its outputs the nodes the user names (``output_nodes``). A node no other node consumes is a
candidate output; errors about outputs list them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import SourceError
from tfjs_build.graph.freeze import FEEDABLE_DTYPES, FrozenGraph, TensorBinding
from tfjs_build.graph.graph_edit import consumers, node_of, prune
from tfjs_build.options import Origin, spell
from tfjs_build.tfjs_versions import PINNED

TEXT_SUFFIX = ".pbtxt"
_NOT_OUTPUTS = frozenset({"NoOp", "Placeholder", "Const", "Assert", "SaveV2", "RestoreV2"})


@dataclass(frozen=True)
class GraphFile:
    """A GraphDef read from a file and imported into a ``tf.Graph`` (nothing run)."""

    path: Path
    graph_def: Any
    graph: Any

    def inputs(self) -> list[TensorBinding]:
        """Its Placeholders, in graph order."""
        return [
            _binding(self.path, op.name, op.outputs[0])
            for op in self.graph.get_operations()
            if op.type == "Placeholder"
        ]

    def candidates(self) -> list[str]:
        """Nodes no other node consumes (and that compute something): the likely outputs."""
        readers = consumers(self.graph_def)
        return [
            n.name
            for n in self.graph_def.node
            if n.name not in readers and n.op not in _NOT_OUTPUTS
        ]

    def outputs(self, names: Sequence[str], origin: Origin) -> list[TensorBinding]:
        """The named output nodes; a missing or unknown name is one error listing candidates."""
        candidates = ", ".join(self.candidates()) or "none"
        if not names:
            raise SourceError(
                f"{self.path}: a frozen graph does not say which nodes are its outputs; name them "
                f"with {spell('output_nodes', ('NODE',), origin)} (nodes no other node consumes: "
                f"{candidates})"
            )
        known = {op.name: op for op in self.graph.get_operations()}
        unknown = [name for name in names if node_of(name) not in known]
        if unknown:
            raise SourceError(
                f"{self.path}: no node {', '.join(map(repr, unknown))} in the graph; nodes no "
                f"other node consumes: {candidates}"
            )
        bindings = []
        for name in names:
            op = known[node_of(name)]
            if not op.outputs:
                raise SourceError(f"{self.path}: node {name!r} ({op.type}) has no output to return")
            tensor = op.outputs[int(name.split(":")[1]) if ":" in name else 0]
            bindings.append(_binding(self.path, name, tensor))
        return bindings


def read_graph_file(path: Path) -> GraphFile:
    """Parse ``path`` (binary, or text for ``.pbtxt``) and import it; ``SourceError`` naming the
    file when it is not a GraphDef TensorFlow can import."""
    tf = import_tensorflow()
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError

    graph_def = tf.compat.v1.GraphDef()
    try:
        if path.suffix.lower() == TEXT_SUFFIX:
            text_format.Parse(path.read_text(encoding="utf-8"), graph_def)
        else:
            graph_def.ParseFromString(path.read_bytes())
    except (DecodeError, text_format.ParseError, UnicodeDecodeError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceError(f"{path} is not a TensorFlow GraphDef ({first})") from None
    if not graph_def.node:
        raise SourceError(f"{path} is not a TensorFlow GraphDef (it holds no nodes)")
    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
    except Exception as exc:  # ValueError, InvalidArgumentError, NotFoundError (unknown op)...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceError(f"{path}: TensorFlow cannot import this graph ({first})") from None
    return GraphFile(path, graph_def, graph)


def _binding(path: Path, key: str, tensor: Any) -> TensorBinding:
    dtype = tensor.dtype.name
    if dtype not in FEEDABLE_DTYPES:
        raise SourceError(
            f"{path}: {tensor.name} is a {dtype} tensor, which TF.js cannot feed or return"
        )
    shape = tensor.shape
    dims = (
        None if shape.rank is None else tuple(-1 if d is None else int(d) for d in shape.as_list())
    )
    return TensorBinding(node_of(key) if key.endswith(":0") else key, tensor.name, dtype, dims)


def frozen_graph(path: Path, output_nodes: Sequence[str], origin: Origin) -> FrozenGraph:
    """The graph at ``path`` pruned to what its outputs need, ready for the TF.js passes."""
    graph_file = read_graph_file(path)
    inputs = graph_file.inputs()
    outputs = graph_file.outputs(output_nodes, origin)
    graph_def = graph_file.graph_def
    prune(graph_def, [b.node for b in outputs])  # a Placeholder no output needs is no input
    kept = {n.name for n in graph_def.node}
    return FrozenGraph(
        graph_def=graph_def,
        inputs=[b for b in inputs if b.node in kept],
        outputs=outputs,
        source=str(path),
    )


def run_graph_file(
    path: Path, inputs: Mapping[str, np.ndarray], output_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """The graph run in TensorFlow: ``inputs`` fed to the Placeholders of the same names, the
    nodes ``output_names`` fetched."""
    tf = import_tensorflow()
    graph_file = read_graph_file(path)
    known = {op.name for op in graph_file.graph.get_operations()}
    missing = [name for name in [*inputs, *output_names] if node_of(name) not in known]
    if missing:
        raise SourceError(
            f"{path}: the artifact's {', '.join(map(repr, missing))} is no node of this graph; "
            "is it the right source?"
        )
    fetches = [name if ":" in name else f"{name}:0" for name in output_names]
    feeds = {f"{name}:0": np.asarray(value) for name, value in inputs.items()}
    with tf.compat.v1.Session(graph=graph_file.graph) as session:
        values = session.run(fetches, feed_dict=feeds)
    return {name: np.asarray(value) for name, value in zip(output_names, values, strict=True)}


def convert_frozen_graph(
    path: Path,
    output_nodes: Sequence[str],
    *,
    backends: Sequence[str],
    check_ops: bool = True,
    origin: Origin = "python",
    tfjs_version: str = PINNED,
) -> Artifact:
    """The frozen graph at ``path`` as a TF.js graph model, through the same passes and op check
    as a SavedModel signature; inputs keep their Placeholder names, outputs their node names."""
    import tensorflow as tf

    from tfjs_build.graph.pipeline import frozen_to_artifact

    return frozen_to_artifact(
        frozen_graph(Path(path), output_nodes, origin),
        backends=backends,
        check_ops=check_ops,
        generated_by=f"TensorFlow {tf.__version__} (frozen graph)",
        origin=origin,
        tfjs_version=tfjs_version,
    )
