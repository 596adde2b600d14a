"""Frozen graphs: a GraphDef file (``.pb``, or ``.pbtxt`` in text form) whose variables are
constants; its Placeholders are the inputs and ``output_nodes`` names the outputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.project.fingerprint import HashCache, json_fingerprint, tree_fingerprint
from tfjs_build.protowire import LENGTH, VARINT, leading_tags
from tfjs_build.sources.kind import FileKind, ModelFormat, ReferenceRequest

if TYPE_CHECKING:
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.source_summary import SourceSummary

FROZEN_GRAPH_REASON = "frozen graphs become graph models"
_HEAD = 1 << 16
# GraphDef's fields: node (1), versions (4), library (2), the old version number (3)
_GRAPH_DEF_FIELDS = frozenset({(1, LENGTH), (2, LENGTH), (3, VARINT), (4, LENGTH)})
_TEXT_NODE = re.compile(r"(^|\s)node\s*\{")


def looks_like_graph_def(path: Path) -> bool:
    """Whether the file starts like a GraphDef (binary, or text for ``.pbtxt``)."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
    if path.suffix.lower() == ".pbtxt":
        return _TEXT_NODE.search(head.decode("utf-8", errors="ignore")) is not None
    try:
        tags = set(leading_tags(head))
    except ValueError:
        return False
    return tags <= _GRAPH_DEF_FIELDS and bool(tags & {(1, LENGTH), (4, LENGTH)})


class FrozenGraphKind(FileKind):
    """A frozen GraphDef: a graph model, checked against the graph run in TensorFlow."""

    name = "frozen_graph"
    label = "TensorFlow frozen graph (GraphDef)"
    recognised_by = (
        "a `.pb` file holding a binary GraphDef, or a `.pbtxt` holding one in text form; "
        "needs `output_nodes`"
    )
    formats: tuple[ModelFormat, ...] = ("graph",)

    def recognise(self, path: Path) -> bool:
        """A ``.pb``/``.pbtxt`` file that starts like a GraphDef; another ``.pb`` is named."""
        if path.is_dir() or path.suffix.lower() not in (".pb", ".pbtxt"):
            return False
        if not looks_like_graph_def(path):
            hint = (
                " (a SavedModel's file: pass its directory)"
                if path.name.startswith("saved_model.")
                else ""
            )
            raise SourceError(
                f"{path} is not a TensorFlow GraphDef, so it is not a frozen graph{hint}"
            )
        return True

    def fingerprint(self, path: Path, hashes: HashCache, options: ConvertOptions) -> str:
        """Its bytes and the output nodes named: other outputs are another model."""
        return json_fingerprint(
            {
                "graph": tree_fingerprint(path, hashes),
                "output_nodes": list(options.output_node_names),
            }
        )

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """Always a graph model."""
        return "graph", FROZEN_GRAPH_REASON

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """The graph cut at ``output_nodes``, through the SavedModel's passes and op check."""
        from tfjs_build.convert import Conversion
        from tfjs_build.graph.frozen_graph import convert_frozen_graph

        artifact = convert_frozen_graph(
            path,
            options.output_node_names,
            backends=options.target_backends,
            check_ops=options.check_ops,
            origin=options.origin,
            tfjs_version=options.tfjs_version,
        )
        return Conversion(artifact, "graph", FROZEN_GRAPH_REASON)

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The GraphDef run in TensorFlow, fed and fetched by the artifact's names."""
        from tfjs_build.graph.frozen_graph import run_graph_file
        from tfjs_build.parity.reference import ReferenceResult

        outputs = run_graph_file(request.source, request.inputs, request.output_names)
        return ReferenceResult(outputs, "frozen_graph")

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """Its Placeholders, and the nodes that may be its outputs."""
        from tfjs_build.source_summary import summarize_frozen_graph

        return summarize_frozen_graph(path, self.label, FROZEN_GRAPH_REASON)


FROZEN_GRAPH = FrozenGraphKind()
