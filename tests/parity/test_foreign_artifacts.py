"""Artifacts shaped the way other converters write them: parity reads only model.json + shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tfjs_build.parity import check_parity
from tfjs_build.parity.model_io import input_specs


def _edited_copy(original: Path, directory: Path, edit) -> dict:
    """Copy the artifact ``original`` to ``directory`` and rewrite its model.json with ``edit``."""
    shutil.copytree(original, directory)
    path = directory / "model.json"
    document = edit(json.loads(path.read_text()))
    path.write_text(json.dumps(document))
    return document


def test_layers_model_json_without_format_and_with_a_bare_topology(
    mlp_dir: Path, tmp_path: Path
) -> None:
    """Older converters: no ``format`` key, ``modelTopology`` is the model config itself."""

    def old_style(document: dict) -> dict:
        return {
            "modelTopology": document["modelTopology"]["model_config"],
            "weightsManifest": document["weightsManifest"],
        }

    _edited_copy(mlp_dir / "float32", tmp_path / "old", old_style)
    report = check_parity(tmp_path / "old", mlp_dir / "mlp.h5")
    assert report.passed, report.summary()
    assert report.record["format"] == "layers-model"


def test_graph_signature_keys_that_differ_from_node_names(
    saved_model: Path, tmp_path: Path
) -> None:
    """tensorflowjs names placeholders ``serving_default_<key>``; the signature maps keys to them."""

    def rename(document: dict) -> dict:
        mapping = {}
        for key, info in document["signature"]["inputs"].items():
            old = info["name"].split(":")[0]
            mapping[old] = f"serving_default_{key}"
            info["name"] = f"serving_default_{key}:0"
        for node in document["modelTopology"]["node"]:
            node["name"] = mapping.get(node["name"], node["name"])
            node["input"] = [mapping.get(ref, ref) for ref in node.get("input", [])]
        return document

    document = _edited_copy(saved_model / "graph", tmp_path / "renamed", rename)
    specs = {spec.name: spec for spec in input_specs(document)}
    assert specs["ids"].int_high == 7  # found through the renamed placeholder
    report = check_parity(tmp_path / "renamed", saved_model / "model")
    assert report.passed, report.summary()
