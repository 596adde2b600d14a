"""metadata and split_weights_by_layer: model.json, the shards, and the model in TF.js."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.compat_fixtures import dense_forward
from tests.tutorial_js import predict_in_tfjs
from tfjs_build.artifact import read_artifact
from tfjs_build.cli import main
from tfjs_build.errors import ConfigError
from tfjs_build.options import OPTIONS

LABELS = ["cat", "dog"]
INFO = {"version": 3, "thresholds": {"cat": 0.5}}
X = np.array([[0.5, -1.0, 2.0, 0.25]], dtype="float32")


@pytest.fixture()
def metadata_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # flags' paths are relative to the working directory
    (tmp_path / "labels.json").write_text(json.dumps(LABELS))
    (tmp_path / "info.json").write_text(json.dumps(INFO))
    return tmp_path


def test_metadata_and_layer_groups_reach_tfjs(
    model_files: Path, metadata_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = metadata_files / "out"
    code = main(
        [
            "convert", str(model_files / "dense.keras"), str(out), "--format", "layers",
            "--metadata", "labels=labels.json", "--metadata", "info=info.json",
            "--split-weights-by-layer", "--quantize-uint8", "*/kernel",
            "--parity-backends", "cpu",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    document = json.loads((out / "model.json").read_text())
    assert document["userDefinedMetadata"] == {"labels": LABELS, "info": INFO}
    groups = document["weightsManifest"]
    assert [g["paths"] for g in groups] == [["group1-shard1of1.bin"], ["group2-shard1of1.bin"]]
    layers = [{e["name"].split("/")[0] for e in g["weights"]} for g in groups]
    assert len(layers) == 2 and all(len(names) == 1 for names in layers)
    assert layers[0] != layers[1]
    got = predict_in_tfjs(out, {"input": X})
    assert got["loadedMetadata"] == {"labels": LABELS, "info": INFO}
    expected = dense_forward(read_artifact(out).weight_dict(), X)
    np.testing.assert_allclose(got["dataSync"], expected.reshape(-1), rtol=1e-5, atol=1e-6)


def test_a_graph_model_carries_metadata_beside_its_output_keys(
    compat_models: Path, metadata_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = metadata_files / "graph"
    args = ["convert", str(compat_models / "two_heads"), str(out), "--no-parity"]
    assert main([*args, "--metadata", "labels=labels.json"]) == 0, capsys.readouterr().err
    got = predict_in_tfjs(out, {"x": np.ones((1, 3), "float32")})
    assert got["loadedMetadata"] == {"labels": LABELS, "structuredOutputKeys": ["scores", "total"]}


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("labels=missing.json", r"--metadata labels=missing.json: .*missing.json does not exist"),
        ("labels=bad.json", r"--metadata labels=bad.json: .*bad.json is not valid JSON"),
    ],
)
def test_unreadable_metadata_fails_before_converting_and_writes_nothing(
    model_files: Path,
    metadata_files: Path,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    message: str,
) -> None:
    (metadata_files / "bad.json").write_text("{labels")
    out = metadata_files / "out"
    assert main(["convert", str(model_files / "dense.keras"), str(out), "--metadata", flag]) == 2
    assert __import__("re").search(message, capsys.readouterr().err)
    assert not out.exists()


def test_names_tfjs_build_writes_and_malformed_flags_are_refused() -> None:
    option = OPTIONS["metadata"]
    with pytest.raises(ConfigError, match="'structuredOutputKeys' is a key tfjs-build writes"):
        option.check({"structuredOutputKeys": "k.json"}, "metadata")
    with pytest.raises(ValueError, match="expected NAME=FILE such as labels=labels.json"):
        option.kind.from_text("labels.json")
    assert option.kind.from_text("labels=a=b.json") == (("labels", Path("a=b.json")),)


def test_the_files_content_is_part_of_the_fingerprint(
    model_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "models" / "dense.keras").write_bytes((model_files / "dense.keras").read_bytes())
    (root / "labels.json").write_text(json.dumps(LABELS))
    (root / "pyproject.toml").write_text(
        '[tool.tfjs-build]\nparity = false\nformat = "layers"\n'
        '[[tool.tfjs-build.models]]\nsource = "models/dense.keras"\n'
        'metadata = {labels = "labels.json"}\n'
    )
    assert main(["convert", "--project", str(root)]) == 0, capsys.readouterr().err
    built = json.loads((root / "web_model/dense/model.json").read_text())
    assert built["userDefinedMetadata"] == {"labels": LABELS}
    assert main(["check", "--project", str(root), "--json"]) == 0
    capsys.readouterr()
    (root / "labels.json").write_text(json.dumps(["cat", "dog", "bird"]))
    assert main(["check", "--project", str(root), "--json"]) == 1
    (model,) = json.loads(capsys.readouterr().out)["models"]
    assert model["reasons"] == ["options changed (metadata)"]
