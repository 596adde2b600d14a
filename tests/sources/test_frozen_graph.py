"""Frozen graphs (``.pb``/``.pbtxt`` GraphDefs, TF1 and TF2 style): graph models whose inputs are
the Placeholders and outputs the named nodes, checked in real TF.js against the GraphDef run in
TensorFlow; a missing or unknown output node lists the candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sources.checks import assert_reference_is_the_model, build_checked
from tests.sources.models import Source
from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.convert import convert_source
from tfjs_build.errors import SourceError
from tfjs_build.options import ConvertOptions
from tfjs_build.source_summary import summarize_source
from tfjs_build.sources import identify_source


def _signature(output: Path) -> tuple[list[str], list[str]]:
    signature = json.loads((output / MODEL_JSON).read_text())["signature"]
    return sorted(signature["inputs"]), sorted(signature["outputs"])


def test_tf1_frozen_mlp(frozen_mlp: Source, tmp_path: Path) -> None:
    assert identify_source(frozen_mlp.path) == "frozen_graph"
    options = ConvertOptions(output_nodes=("probs",))
    result = build_checked(frozen_mlp.path, tmp_path / "web", options)
    assert (result.format, result.reason) == ("graph", "frozen graphs become graph models")
    assert _signature(tmp_path / "web") == (["x"], ["probs"])
    assert json.loads((tmp_path / "web" / "parity.json").read_text())["reference"] == "frozen_graph"
    assert assert_reference_is_the_model(frozen_mlp, "probs", graph=True) == "frozen_graph"


def test_text_graph_defs_are_read_too(frozen_mlp: Source, tmp_path: Path) -> None:
    import tensorflow as tf
    from google.protobuf import text_format

    graph_def = tf.compat.v1.GraphDef.FromString(frozen_mlp.path.read_bytes())
    text = tmp_path / "mlp.pbtxt"
    text.write_text(text_format.MessageToString(graph_def))
    result = build_checked(text, tmp_path / "web", ConvertOptions(output_nodes=("probs",)))
    assert result.format == "graph" and _signature(tmp_path / "web") == (["x"], ["probs"])


def test_tf2_frozen_cnn(frozen_cnn: Source, tmp_path: Path) -> None:
    options = ConvertOptions(output_nodes=("Identity",))
    build_checked(frozen_cnn.path, tmp_path / "web", options)
    assert _signature(tmp_path / "web") == (["pixels"], ["Identity"])
    assert_reference_is_the_model(frozen_cnn, "Identity", graph=True)


@pytest.mark.parametrize(
    ("nodes", "origin", "message"),
    [
        (
            (),
            "cli",
            "a frozen graph does not say which nodes are its outputs; name them with "
            "--output-nodes NODE (nodes no other node consumes: probs)",
        ),
        (
            (),
            "toml",
            'name them with `output_nodes = ["NODE"]` in [tool.tfjs-build]',
        ),
        (
            ("probs", "logits"),
            "cli",
            "no node 'logits' in the graph; nodes no other node consumes: probs",
        ),
    ],
)
def test_output_nodes_missing_or_unknown(
    frozen_mlp: Source, nodes: tuple[str, ...], origin: str, message: str
) -> None:
    options = ConvertOptions(output_nodes=nodes, origin=origin)  # type: ignore[arg-type]
    with pytest.raises(SourceError) as caught:
        convert_source(frozen_mlp.path, options)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(frozen_mlp.path))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "model.pb",
            b"\x00\x01 not a graph",
            "is not a TensorFlow GraphDef, so it is not a frozen graph",
        ),
        ("saved_model.pb", b"\x08\x01\x12\x00", "(a SavedModel's file: pass its directory)"),
        ("model.pbtxt", b"versions { producer: 1 }", "is not a TensorFlow GraphDef"),
    ],
)
def test_a_file_that_is_no_graph_def_is_named(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        convert_source(path, ConvertOptions(output_nodes=("y",)))
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_inspect_lists_placeholders_and_candidate_outputs(frozen_mlp: Source) -> None:
    summary = summarize_source(frozen_mlp.path)
    assert summary.kind == "TensorFlow frozen graph (GraphDef)"
    assert [(t.name, t.shape, t.dtype) for t in summary.inputs] == [("x", (None, 5), "float32")]
    assert [(t.name, t.shape) for t in summary.outputs] == [("probs", (None, 3))]
    assert summary.auto_format == "graph"


def test_the_command_line_names_outputs_with_commas_or_repeats(
    frozen_mlp: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tfjs_build.cli import main

    assert ConvertOptions(output_nodes=("a,b", "c")).output_node_names == ("a", "b", "c")
    argv = ["convert", str(frozen_mlp.path), str(tmp_path / "web"), "--no-parity"]
    assert main([*argv, "--output-nodes", "probs,hidden"]) == 0
    assert _signature(tmp_path / "web") == (["x"], ["hidden", "probs"])
    assert main([*argv, "--output-nodes", "logits"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith("no node 'logits' in the graph; nodes no other node consumes: probs")
