from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, read_artifact, write_artifact
from tfjs_build.errors import ArtifactError


def _foreign_artifact(directory: Path) -> None:
    """An artifact laid out like older converters write them: two groups, shard names without .bin."""
    directory.mkdir()
    (directory / "group1-shard1of2").write_bytes(np.array([1.5, -2.0], "<f4").tobytes()[:5])
    (directory / "group1-shard2of2").write_bytes(np.array([1.5, -2.0], "<f4").tobytes()[5:])
    (directory / "group2-shard1of1").write_bytes(np.array([3, 250], np.uint8).tobytes() + b"\x01")
    manifest = [
        {
            "paths": ["group1-shard1of2", "group1-shard2of2"],
            "weights": [{"name": "a", "shape": [2], "dtype": "float32"}],
        },
        {
            "paths": ["group2-shard1of1"],
            "weights": [
                {
                    "name": "q",
                    "shape": [2],
                    "dtype": "float32",
                    "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.01},
                },
                {"name": "flag", "shape": [], "dtype": "bool"},
            ],
        },
    ]
    document = {
        "modelTopology": {"node": []},
        "weightsManifest": manifest,
        "generatedBy": "2.15.0",
        "convertedBy": "other 1.0",
    }
    (directory / "model.json").write_text(json.dumps(document))


def test_reads_other_converters_artifacts_with_several_groups(tmp_path):
    _foreign_artifact(tmp_path / "m")
    artifact = read_artifact(tmp_path / "m")
    assert artifact.format == "graph-model"
    assert artifact.converted_by == "other 1.0"
    weights = artifact.weight_dict()
    assert weights["a"].tolist() == [1.5, -2.0]
    assert weights["q"].tolist() == pytest.approx([-0.97, 1.5], abs=1e-6)
    assert weights["flag"].dtype == np.bool_ and bool(weights["flag"]) is True


def test_model_json_keeps_topology_signature_and_extra_keys(tmp_path):
    artifact = Artifact(
        "graph-model",
        {"node": [{"name": "x", "op": "Placeholder"}]},
        [("w", np.ones(2, np.float32))],
        signature={"inputs": {}, "outputs": {}},
        generated_by="keras 3",
        converted_by="tfjs-build test",
        user_metadata={"k": "v"},
        extra={"modelInitializer": {"node": []}},
    )
    write_artifact(artifact, tmp_path / "m")
    document = json.loads((tmp_path / "m" / "model.json").read_text())
    assert list(document) == [
        "format",
        "generatedBy",
        "convertedBy",
        "modelTopology",
        "weightsManifest",
        "signature",
        "userDefinedMetadata",
        "modelInitializer",
    ]
    back = read_artifact(tmp_path / "m")
    assert (back.signature, back.user_metadata, back.extra) == (
        artifact.signature,
        {"k": "v"},
        artifact.extra,
    )


@pytest.mark.parametrize("bad_path", ["../outside.bin", "/etc/passwd", "sub/../../x.bin"])
def test_manifest_paths_that_leave_the_directory_are_refused(tmp_path, bad_path):
    (tmp_path / "m").mkdir()
    manifest = [{"paths": [bad_path], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]}]
    (tmp_path / "m" / "model.json").write_text(
        json.dumps({"modelTopology": {}, "weightsManifest": manifest})
    )
    with pytest.raises(ArtifactError, match="leaves the artifact directory"):
        read_artifact(tmp_path / "m")


def test_truncated_shard_is_reported_with_the_weight(tmp_path):
    write_artifact(Artifact("layers-model", {}, [("w", np.ones(8, np.float32))]), tmp_path / "m")
    shard = tmp_path / "m" / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(
        ArtifactError, match=r"weight data ends early: 'w' needs 32 bytes, 28 are left"
    ):
        read_artifact(tmp_path / "m")


def test_missing_shard_and_broken_json_are_clear_errors(tmp_path):
    write_artifact(Artifact("layers-model", {}, [("w", np.ones(8, np.float32))]), tmp_path / "m")
    (tmp_path / "m" / "group1-shard1of1.bin").unlink()
    with pytest.raises(
        ArtifactError, match="group1-shard1of1.bin: weight shard named in model.json is missing"
    ):
        read_artifact(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="model.json is not valid JSON"):
        read_artifact(tmp_path / "m")


def test_shards_longer_than_the_manifest_are_reported(tmp_path):
    write_artifact(Artifact("layers-model", {}, [("w", np.ones(2, np.float32))]), tmp_path / "m")
    with open(tmp_path / "m" / "group1-shard1of1.bin", "ab") as handle:
        handle.write(b"\0" * 4)
    with pytest.raises(ArtifactError, match="hold 4 bytes more than the manifest describes"):
        read_artifact(tmp_path / "m")


def test_nan_in_topology_is_refused_because_json_cannot_carry_it(tmp_path):
    with pytest.raises(ArtifactError, match="NaN or infinity"):
        write_artifact(Artifact("layers-model", {"value": float("nan")}, []), tmp_path / "m")


def test_graph_topologies_are_written_byte_identically_whatever_their_key_order(tmp_path):
    node = {
        "name": "x",
        "op": "Placeholder",
        "attr": {"shape": {"shape": {}}, "dtype": {"type": "DT_FLOAT"}},
    }
    shuffled = {
        "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {}}},
        "op": "Placeholder",
        "name": "x",
    }
    write_artifact(Artifact("graph-model", {"node": [node], "library": {}}), tmp_path / "a")
    write_artifact(Artifact("graph-model", {"library": {}, "node": [shuffled]}), tmp_path / "b")
    assert (tmp_path / "a" / "model.json").read_bytes() == (
        tmp_path / "b" / "model.json"
    ).read_bytes()
