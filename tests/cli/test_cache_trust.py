"""What the build cache trusts, tried as an attacker with write access to the team's bucket would
(moto's S3 server) and as one with write access to the local cache would."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import shutil
import struct
from pathlib import Path

import pytest

from tests.cli.project_helpers import lock, messages, records, tfjs_build
from tests.conftest import make_user_repo, pyproject, remote_objects, use_s3
from tests.tree import tree_hashes

SHARD = "group1-shard1of1.bin"


def _s3_url(s3, tmp_path, monkeypatch) -> str:
    return f"s3://{use_s3(s3, tmp_path, monkeypatch)}/team-cache"


def _project(url: str, top: str = "") -> str:
    return pyproject("dense", top=f'parity = false\ncache_remote = "{url}"\n{top}')


def _poisoned(data: bytes) -> bytes:
    """``data`` (a float32 shard) with its first weight set to +inf."""
    return struct.pack("<f", math.inf) + data[4:]


def _poison_remote(url: str) -> str:
    """Rewrite the one entry under ``url`` consistently: the shard's inline bytes poisoned, its
    sha256 and size updated. Returns the poisoned shard's sha256."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, skip_instance_cache=True)
    [path] = fs.glob(f"{root}/v1/entries/*.json")
    manifest = json.loads(fs.cat_file(path))
    record = manifest["files"][SHARD]
    data = _poisoned(base64.b64decode(record["data"]))
    digest = hashlib.sha256(data).hexdigest()
    record.update(data=base64.b64encode(data).decode(), sha256=digest, size=len(data))
    fs.pipe_file(path, json.dumps(manifest, sort_keys=True).encode())
    return digest


@pytest.fixture()
def pushed(s3, tmp_path, monkeypatch, model_files) -> tuple[str, Path]:
    """Project A built dense and pushed it to a new bucket; its URL and A's root."""
    url = _s3_url(s3, tmp_path, monkeypatch)
    first = make_user_repo(tmp_path / "a", model_files, _project(url))
    built = tfjs_build(first, "convert")
    assert built.returncode == 0, built.stderr
    return url, first


def test_a_poisoned_remote_entry_is_refused_when_the_lockfile_records_the_artifact(
    pushed, tmp_path, model_files
):
    url, first = pushed
    honest = remote_objects(url)
    poisoned = _poison_remote(url)
    assert poisoned != lock(first)["models"]["dense"]["files"][SHARD]

    second = make_user_repo(tmp_path / "b", model_files, _project(url))
    shutil.copy(first / "tfjs-build.lock", second / "tfjs-build.lock")  # committed, artifacts not
    result = tfjs_build(second, "convert", "--json")
    assert result.returncode == 0, result.stderr
    assert records(result) == {"dense": "converted"}
    [key] = [Path(name).stem for name in honest if name.startswith("v1/entries/")]
    refusals = [line for line in messages(result) if "refused" in line]
    assert refusals == [
        f"dense: warning: the remote cache {url}'s entry {key[:12]} is not the artifact the "
        f"lockfile records for this source, options and versions ({SHARD} has sha256 "
        f"{poisoned[:12]}, the lockfile records "
        f"{lock(first)['models']['dense']['files'][SHARD][:12]}); refused, building from source"
    ]
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert lock(second) == lock(first)
    assert tfjs_build(second, "check").returncode == 0
    assert (
        not (second / ".tfjs-build/cache/v1" / key / SHARD)
        .read_bytes()
        .startswith(struct.pack("<f", math.inf))
    )
    assert honest.keys() == remote_objects(url).keys()  # the build replaced the poisoned entry
    manifest = json.loads(next(v for k, v in remote_objects(url).items() if k.endswith(".json")))
    assert manifest["files"][SHARD]["sha256"] == lock(first)["models"]["dense"]["files"][SHARD]


def test_without_a_lockfile_a_consistently_poisoned_entry_is_restored(
    pushed, tmp_path, model_files
):
    """What nothing but a signature can catch (see the signed-entry tests)."""
    url, _ = pushed
    poisoned = _poison_remote(url)
    third = make_user_repo(tmp_path / "c", model_files, _project(url))
    result = tfjs_build(third, "convert", "--json")
    assert records(result) == {"dense": "restored"}
    assert lock(third)["models"]["dense"]["files"][SHARD] == poisoned


def test_a_poisoned_local_entry_is_refused_evicted_and_rebuilt(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    assert tfjs_build(root, "convert").returncode == 0
    recorded = lock(root)
    artifact = tree_hashes(root / "web_model")
    [entry] = (root / ".tfjs-build/cache/v1").iterdir()
    shard = entry / SHARD
    shard.write_bytes(_poisoned(shard.read_bytes()))
    record = json.loads((entry / "entry.json").read_text())
    record["files"][SHARD] = hashlib.sha256(shard.read_bytes()).hexdigest()
    (entry / "entry.json").write_text(json.dumps(record))
    shutil.rmtree(root / "web_model")

    result = tfjs_build(root, "convert", "--json")
    assert records(result) == {"dense": "converted"}
    assert [line for line in messages(result) if "refused" in line] == [
        f"dense: warning: the local cache's entry {entry.name[:12]} is not the artifact the "
        f"lockfile records for this source, options and versions ({SHARD} has sha256 "
        f"{record['files'][SHARD][:12]}, the lockfile records "
        f"{recorded['models']['dense']['files'][SHARD][:12]}); refused and evicted, building "
        "from source"
    ]
    assert tree_hashes(root / "web_model") == artifact
    assert lock(root) == recorded
    assert (
        json.loads((entry / "entry.json").read_text())["files"]
        == recorded["models"]["dense"]["files"]
    )  # refilled by the build
