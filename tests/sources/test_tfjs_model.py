"""TF.js models as sources: a layers model TF.js saved in Node (model.json + weights.bin) re-written
as float16 and re-sharded, turned into a graph model through tf_keras, and a graph model
re-quantized; each checked in real TF.js against the source artifact run in TF.js."""

from __future__ import annotations

import json
import shutil
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


def _model(output: Path) -> dict:
    return json.loads((output / MODEL_JSON).read_text())


def _reference(output: Path) -> str:
    return str(json.loads((output / "parity.json").read_text())["reference"])


def test_a_model_json_or_its_directory_is_a_tfjs_source(tfjs_layers: Source) -> None:
    assert identify_source(tfjs_layers.path) == "tfjs_layers_model"
    assert identify_source(tfjs_layers.path / MODEL_JSON) == "tfjs_layers_model"
    assert assert_reference_is_the_model(tfjs_layers, "probs", graph=False) == "tfjs:cpu"


def test_re_written_as_float16(tfjs_layers: Source, tmp_path: Path) -> None:
    options = ConvertOptions(quantization="float16")
    result = build_checked(tfjs_layers.path / MODEL_JSON, tmp_path / "web", options, 1e-2)
    assert (result.format, result.reason) == ("layers", "a TF.js layers model stays a layers model")
    entries = _model(tmp_path / "web")["weightsManifest"][0]["weights"]
    assert {e["name"]: e.get("quantization", {}).get("dtype") for e in entries}["bn/gamma"] == (
        "float16"
    )
    assert _reference(tmp_path / "web") == "tfjs:cpu"


def test_re_sharded(tfjs_layers: Source, tmp_path: Path) -> None:
    result = build_checked(tfjs_layers.path, tmp_path / "web", ConvertOptions(shard_size=64), 1e-6)
    assert result.shards == len(_model(tmp_path / "web")["weightsManifest"][0]["paths"]) > 3
    assert _model(tmp_path / "web")["modelTopology"] == _model(tfjs_layers.path)["modelTopology"]


def test_to_a_graph_model_and_a_graph_model_re_quantized(
    tfjs_layers: Source, tmp_path: Path
) -> None:
    graph = tmp_path / "graph"
    result = build_checked(tfjs_layers.path, graph, ConvertOptions(format="graph"))
    assert result.format == "graph" and _model(graph)["format"] == "graph-model"
    assert _reference(graph) == "tfjs:cpu"
    assert identify_source(graph) == "tfjs_graph_model"
    again = build_checked(graph, tmp_path / "again", ConvertOptions(quantization="float16"), 1e-2)
    assert (again.format, again.reason) == ("graph", "a TF.js graph model stays a graph model")
    assert summarize_source(graph).auto_format == "graph"


def test_missing_weights_are_one_line(tfjs_layers: Source, tmp_path: Path) -> None:
    (tmp_path / "copy").mkdir()
    shutil.copy(tfjs_layers.path / MODEL_JSON, tmp_path / "copy")
    with pytest.raises(SourceError) as caught:
        convert_source(tmp_path / "copy")
    assert str(caught.value) == (
        f"{tmp_path / 'copy' / MODEL_JSON}: its weights 'weights.bin' are missing; copy the "
        f"weight files model.json lists into {tmp_path / 'copy'}"
    )


def test_a_source_is_never_its_own_output(tfjs_layers: Source, tmp_path: Path) -> None:
    from tfjs_build.errors import TfjsBuildError
    from tfjs_build.pipeline import build

    copy = tmp_path / "copy"
    shutil.copytree(tfjs_layers.path, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    with pytest.raises(TfjsBuildError, match="holds the source .*; publishing there would replace"):
        build(copy / MODEL_JSON, copy, ConvertOptions(quantization="float16"))
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before
