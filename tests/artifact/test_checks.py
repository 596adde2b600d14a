"""A hostile or broken ``model.json`` gives one ``ArtifactError`` naming the file and the key:
wrong types, huge shapes (never allocated), shard paths that leave the directory (never opened)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfjs_build.artifact import Artifact, read_artifact, read_model_json, write_artifact
from tfjs_build.artifact.summary import summarize_artifact
from tfjs_build.errors import ArtifactError

WEIGHT = {"name": "w", "shape": [2], "dtype": "float32"}


def _write(directory: Path, document: Any, shard: bytes | None = b"\0" * 8) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.json").write_text(json.dumps(document))
    if shard is not None:
        (directory / "group1-shard1of1.bin").write_bytes(shard)
    return directory


def _manifest(*entries: dict[str, Any], paths: Any = None) -> dict[str, Any]:
    group = {
        "paths": ["group1-shard1of1.bin"] if paths is None else paths,
        "weights": list(entries),
    }
    return {"modelTopology": {}, "weightsManifest": [group]}


def _refused(directory: Path) -> str:
    with pytest.raises(ArtifactError) as caught:
        read_artifact(directory)
    with pytest.raises(ArtifactError) as again:
        summarize_artifact(directory)
    assert str(again.value) == str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    "document,kind", [([1, 2], "list"), ("model", "str"), (3, "int"), (None, "null")]
)
def test_json_that_is_not_an_object(tmp_path, document, kind):
    where = _write(tmp_path / "m", document)
    assert (
        _refused(where)
        == f"{where / 'model.json'} holds a JSON {kind}, not a TF.js model.json object"
    )


@pytest.mark.parametrize(
    "data,detail",
    [
        (b"[" * 100_000 + b"]" * 100_000, "maximum recursion depth exceeded"),
        (b'{"modelTopology": {}, "x": ' + b"9" * 5000 + b"}", "integer string conversion"),
        (b"\xff\xfe{}", "can't decode byte 0xff"),
    ],
)
def test_json_too_deep_too_long_or_not_text(tmp_path, data, detail):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_bytes(data)
    message = _refused(tmp_path / "m")
    assert message.startswith(f"{tmp_path / 'm' / 'model.json'} is not valid JSON (")
    assert message.endswith("; rebuild the artifact")
    assert detail in message


@pytest.mark.parametrize(
    "document,message",
    [
        ({"modelTopology": []}, " has no modelTopology object; it is not a TF.js model.json"),
        ({"modelTopology": {}, "format": 7}, ": format is a int, not a string"),
        ({"modelTopology": {}, "signature": []}, ": signature is a list, not an object"),
        ({"modelTopology": {}, "weightsManifest": {}}, ": weightsManifest is a dict, not a list"),
        (
            {"modelTopology": {}, "weightsManifest": [3]},
            ": weightsManifest[0] is a int, not an object",
        ),
        (_manifest(paths="group1"), ": weightsManifest[0]: paths and weights must be lists"),
        (
            _manifest({"shape": [2], "dtype": "float32"}),
            ": weightsManifest[0]: a weight entry has no name (got None)",
        ),
        (
            _manifest({**WEIGHT, "dtype": None}),
            ": weightsManifest[0]: weight 'w' has no dtype string",
        ),
        (
            _manifest({**WEIGHT, "shape": [2**40, 2**40]}),
            ": weightsManifest[0]: weight 'w' has shape [1099511627776, 1099511627776]: sizes must be "
            "whole numbers from 0 to 2147483647",
        ),
        (
            _manifest({**WEIGHT, "shape": [-4]}),
            ": weightsManifest[0]: weight 'w' has shape [-4]: sizes must be whole numbers from 0 to 2147483647",
        ),
        (
            _manifest({**WEIGHT, "shape": [1] * 33}),
            f": weightsManifest[0]: weight 'w' has shape {str([1] * 33)[:80]}: rank above 32",
        ),
        (
            _manifest({**WEIGHT, "shape": "22"}),
            ": weightsManifest[0]: weight 'w' has shape '22': not a list of sizes",
        ),
        (
            _manifest({**WEIGHT, "quantization": {"dtype": "uint8", "min": "x", "scale": 1}}),
            ": weightsManifest[0]: weight 'w' has quantization min 'x'",
        ),
        (
            _manifest({**WEIGHT, "quantization": []}),
            ": weightsManifest[0]: weight 'w' has a quantization without a dtype string",
        ),
    ],
)
def test_ill_typed_documents_name_the_file_and_the_key(tmp_path, document, message):
    where = _write(tmp_path / "m", document)
    assert _refused(where) == f"{where / 'model.json'}{message}"


@pytest.mark.parametrize(
    "path,problem",
    [
        ("../outside.bin", "leaves the artifact directory"),
        ("/etc/passwd", "leaves the artifact directory"),
        ("sub/../../x.bin", "leaves the artifact directory"),
        ("..\\x.bin", "leaves the artifact directory"),
        ("C:x.bin", "leaves the artifact directory"),
        ("a\0b", "is not a file name"),
        ("", "is not a file name"),
        (7, "is not a file name"),
    ],
)
def test_shard_paths_that_cannot_name_a_file_inside(tmp_path, path, problem):
    where = _write(tmp_path / "m", _manifest(WEIGHT, paths=[path]))
    assert _refused(where) == (
        f"{where / 'model.json'}: weightsManifest[0]: shard path {path!r} {problem}"
    )


def _outside_fifo(tmp_path: Path) -> Path:
    """A FIFO outside the artifact: opening it for reading would block, so a test that ends
    proves nothing opened it."""
    fifo = tmp_path / "outside.fifo"
    os.mkfifo(fifo)
    return fifo


def _inspect(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfjs_build", "inspect", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_shard_symlinked_out_of_the_directory_is_never_opened(tmp_path):
    where = _write(tmp_path / "m", _manifest(WEIGHT), shard=None)
    (where / "group1-shard1of1.bin").symlink_to(_outside_fifo(tmp_path))
    assert _refused_read(where) == (
        f"{where}: weights manifest path 'group1-shard1of1.bin' leaves the artifact directory "
        "(through a symbolic link); refusing to read it"
    )
    result = _inspect(where)
    assert result.returncode == 1, result.stderr
    assert (
        "  PROBLEM:      shard group1-shard1of1.bin leaves the artifact directory "
        "(through a symbolic link)"
    ) in result.stdout.splitlines()


def _refused_read(directory: Path) -> str:
    with pytest.raises(ArtifactError) as caught:
        read_artifact(directory)
    return str(caught.value)


def test_a_fifo_shard_is_not_read(tmp_path):
    where = _write(tmp_path / "m", _manifest(WEIGHT), shard=None)
    os.mkfifo(where / "group1-shard1of1.bin")
    assert _refused_read(where) == (
        f"{where}: weights manifest path 'group1-shard1of1.bin' is not a regular file; refusing to read it"
    )
    assert "shard group1-shard1of1.bin is not a regular file" in _inspect(where).stdout


def test_a_fifo_model_json_is_not_read(tmp_path):
    (tmp_path / "m").mkdir()
    os.mkfifo(tmp_path / "m" / "model.json")
    with pytest.raises(ArtifactError, match="model.json is not a regular file"):
        read_model_json(tmp_path / "m")


def test_a_huge_shard_is_refused_before_it_is_read(tmp_path):
    """A sparse 64 GiB shard behind a 2-value manifest: the sizes differ, so nothing is read."""
    where = _write(tmp_path / "m", _manifest(WEIGHT), shard=None)
    with open(where / "group1-shard1of1.bin", "wb") as handle:
        handle.truncate(64 << 30)
    assert _refused_read(where) == (
        f"{where}: shards of ['group1-shard1of1.bin'] hold {(64 << 30) - 8} bytes more than the "
        "manifest describes; model.json and the shards do not belong together"
    )


def test_a_huge_string_count_is_refused_before_allocating(tmp_path):
    entry = {"name": "words", "shape": [2**31 - 1, 1000], "dtype": "string"}
    where = _write(tmp_path / "m", _manifest(entry), shard=b"\1\0\0\0a")
    assert _refused_read(where) == (
        f"{where}: weight data ends early: 'words' holds {(2**31 - 1) * 1000} strings, 5 bytes "
        "are left; a shard is truncated or missing"
    )


def test_null_quantization_and_a_written_artifact_still_read(tmp_path):
    write_artifact(
        Artifact("layers-model", {}, [("w", np.arange(3, dtype="float32"))]), tmp_path / "m"
    )
    document = json.loads((tmp_path / "m" / "model.json").read_text())
    document["weightsManifest"][0]["weights"][0]["quantization"] = None
    (tmp_path / "m" / "model.json").write_text(json.dumps(document))
    np.testing.assert_array_equal(read_artifact(tmp_path / "m").weight_dict()["w"], [0, 1, 2])
