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

from tests.cli.project_helpers import imported, lock, messages, records, tfjs_build
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
    return _poison_remote_entry(url, Path(path).stem)


def _poison_remote_entry(url: str, key: str, *, consistently: bool = True) -> str:
    """Poison the shard of ``key``'s entry under ``url``, its sha256 and size updated if
    ``consistently``; the poisoned shard's sha256."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, skip_instance_cache=True)
    path = f"{root}/v1/entries/{key}.json"
    manifest = json.loads(fs.cat_file(path))
    record = manifest["files"][SHARD]
    data = _poisoned(base64.b64decode(record["data"]))
    digest = hashlib.sha256(data).hexdigest()
    record["data"] = base64.b64encode(data).decode()
    if consistently:
        record.update(sha256=digest, size=len(data))
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


# ------------------------------------------------------------------------ signed entries
TRUST = 'cache_trusted_keys = ["keys/cache.pub"]'


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    """Two key pairs made by ``tfjs-build cache keygen``: ``old`` and ``new`` directories."""
    made = {}
    for name in ("old", "new"):
        where = tmp_path_factory.mktemp("keys") / name
        result = tfjs_build(where.parent, "cache", "keygen", name)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"wrote {name}/cache.key (secret: only pushers get it, through "
            "$TFJS_BUILD_CACHE_SIGNING_KEY)",
            f"wrote {name}/cache.pub (commit it and list it in cache_trusted_keys)",
        ]
        made[name] = where
    return made


def _reader(root: Path, model_files: Path, url: str, *public: Path, names=("dense",)) -> Path:
    """A clone trusting the ``public`` keys (copied in as keys/cache.pub, keys/cache2.pub)."""
    listed = ", ".join(f'"keys/cache{i or ""}.pub"' for i in range(len(public)))
    top = f'parity = false\ncache_remote = "{url}"\ncache_trusted_keys = [{listed}]'
    repo = make_user_repo(root, model_files, pyproject(*names, top=top))
    (repo / "keys").mkdir()
    for i, path in enumerate(public):
        shutil.copy(path / "cache.pub", repo / f"keys/cache{i or ''}.pub")
    return repo


def _signed_push(root, model_files, url, key_dir, monkeypatch, names=("dense",)) -> Path:
    monkeypatch.setenv("TFJS_BUILD_CACHE_SIGNING_KEY", str(key_dir / "cache.key"))
    repo = make_user_repo(
        root, model_files, pyproject(*names, top=f'parity = false\ncache_remote = "{url}"')
    )
    result = tfjs_build(repo, "convert")
    monkeypatch.delenv("TFJS_BUILD_CACHE_SIGNING_KEY")
    assert result.returncode == 0, result.stderr
    assert f"tfjs-build: pushed {len(names)} entr" in result.stderr
    return repo


def _unsigned_warnings(result) -> list[str]:
    return [line for line in messages(result) if "not signed by a key" in line]


def test_a_signed_entry_is_restored_and_a_consistent_rewrite_of_it_is_refused(
    s3, tmp_path, monkeypatch, model_files, keys
):
    url = _s3_url(s3, tmp_path, monkeypatch)
    first = _signed_push(tmp_path / "a", model_files, url, keys["old"], monkeypatch)
    objects = remote_objects(url)
    [manifest] = [json.loads(data) for data in objects.values()]
    assert manifest["signature"]["algorithm"] == "ed25519"

    trusting = _reader(tmp_path / "b", model_files, url, keys["old"])
    restored = tfjs_build(trusting, "convert", "--json")
    assert records(restored) == {"dense": "restored"}, restored.stderr
    assert imported(restored) == ["cryptography", "obstore"]  # no numpy, no TF
    assert tree_hashes(trusting / "web_model") == tree_hashes(first / "web_model")
    assert _unsigned_warnings(restored) == []
    check = tfjs_build(trusting, "check")
    assert (check.returncode, imported(check)) == (0, [])  # check never loads cryptography

    _poison_remote(url)
    refused = _reader(tmp_path / "c", model_files, url, keys["old"])  # no lockfile: only the key
    result = tfjs_build(refused, "convert", "--json")
    assert records(result) == {"dense": "converted"}
    [key] = [Path(name).stem for name in objects if name.startswith("v1/entries/")]
    assert _unsigned_warnings(result) == [
        "tfjs-build: warning: entries of the remote cache not signed by a key in "
        f"cache_trusted_keys are taken as absent (the first: {key[:12]}, its signature by "
        "keys/cache.pub does not match it)"
    ]
    assert tree_hashes(refused / "web_model") == tree_hashes(first / "web_model")


def test_unsigned_entries_are_absent_said_once_until_a_signing_push_replaces_them(
    s3, tmp_path, monkeypatch, model_files, keys
):
    url = _s3_url(s3, tmp_path, monkeypatch)
    both = ("dense", "conv")
    unsigned = make_user_repo(
        tmp_path / "a", model_files, pyproject(*both, top=f'parity = false\ncache_remote = "{url}"')
    )
    assert tfjs_build(unsigned, "convert").returncode == 0

    reader = _reader(tmp_path / "b", model_files, url, keys["old"], names=both)
    result = tfjs_build(reader, "convert", "--json", "--no-cache-push")
    assert records(result) == dict.fromkeys(both, "converted")
    [warning] = _unsigned_warnings(result)  # one per run, not one per model
    assert warning.endswith(", it is not signed)")

    monkeypatch.setenv("TFJS_BUILD_CACHE_SIGNING_KEY", str(keys["old"] / "cache.key"))
    signer = _reader(tmp_path / "main", model_files, url, keys["old"], names=both)
    pushed = tfjs_build(signer, "convert")
    monkeypatch.delenv("TFJS_BUILD_CACHE_SIGNING_KEY")
    assert "tfjs-build: pushed 2 entries" in pushed.stderr, pushed.stderr

    after = _reader(tmp_path / "c", model_files, url, keys["old"], names=both)
    result = tfjs_build(after, "convert", "--json")
    assert records(result) == dict.fromkeys(both, "restored")
    assert _unsigned_warnings(result) == []


def test_a_wrong_key_and_a_truncated_signature_are_refused_and_a_rotation_trusts_both(
    s3, tmp_path, monkeypatch, model_files, keys
):
    url = _s3_url(s3, tmp_path, monkeypatch)
    _signed_push(tmp_path / "a", model_files, url, keys["old"], monkeypatch)

    def outcome(name: str, *trusted: Path) -> tuple[str, list[str]]:
        result = tfjs_build(
            _reader(tmp_path / name, model_files, url, *trusted),
            "convert",
            "--json",
            "--no-cache-push",
        )
        assert result.returncode == 0, result.stderr
        return records(result)["dense"], [
            w.split("(the first: ")[1][14:] for w in _unsigned_warnings(result)
        ]

    from fsspec.core import url_to_fs

    fs, root = url_to_fs(url, skip_instance_cache=True)
    [path] = fs.glob(f"{root}/v1/entries/*.json")
    new_id = hashlib.sha256(
        base64.b64decode((keys["new"] / "cache.pub").read_text().split(":")[1])
    ).hexdigest()[:16]
    old_id = json.loads(fs.cat_file(path))["signature"]["key_id"]
    assert outcome("wrong", keys["new"]) == (
        "converted",
        [f"it is signed by key {old_id!r}, not a trusted one)"],
    )
    assert old_id != new_id
    assert outcome("rotated", keys["new"], keys["old"]) == ("restored", [])

    document = json.loads(fs.cat_file(path))
    document["signature"]["signature"] = document["signature"]["signature"][:-12]
    fs.pipe_file(path, json.dumps(document, sort_keys=True).encode())
    assert outcome("truncated", keys["new"], keys["old"]) == (
        "converted",
        ["its signature by keys/cache1.pub does not match it)"],
    )


def test_bad_key_input_is_one_line_naming_the_file_or_variable(
    tmp_path, monkeypatch, model_files, keys
):
    url = (tmp_path / "shared").as_uri()
    repo = make_user_repo(
        tmp_path / "repo",
        model_files,
        pyproject("dense", top=f'parity = false\ncache_remote = "{url}"\n{TRUST}'),
    )
    result = tfjs_build(repo, "convert")
    assert (result.returncode, messages(result)) == (
        2,
        [
            f"tfjs-build: error: cache_trusted_keys 'keys/cache.pub': {repo}/keys/cache.pub does "
            "not exist; list the cache.pub files `tfjs-build cache keygen DIR` writes"
        ],
    )
    (repo / "keys").mkdir()
    shutil.copy(keys["old"] / "cache.pub", repo / "keys/cache.pub")
    monkeypatch.setenv("TFJS_BUILD_CACHE_SIGNING_KEY", str(keys["old"] / "cache.pub"))
    result = tfjs_build(repo, "convert")
    assert (result.returncode, messages(result)) == (
        2,
        [
            f"tfjs-build: error: TFJS_BUILD_CACHE_SIGNING_KEY={keys['old']}/cache.pub: not a "
            "tfjs-build cache secret key; point it at the cache.key that `tfjs-build cache "
            "keygen DIR` writes"
        ],
    )
    again = tfjs_build(repo, "cache", "keygen", str(keys["old"]))
    assert (again.returncode, messages(again)) == (
        2,
        [
            f"tfjs-build cache: error: {keys['old']}/cache.key exists already; keygen never replaces a key"
        ],
    )


# ------------------------------------------------------------------------------ cache verify
def test_cache_verify_names_every_bad_entry_local_and_remote(
    s3, tmp_path, monkeypatch, model_files, keys
):
    url = _s3_url(s3, tmp_path, monkeypatch)
    signed = _signed_push(tmp_path / "a", model_files, url, keys["old"], monkeypatch)
    unsigned = make_user_repo(
        tmp_path / "b",
        model_files,
        pyproject("conv", top=f'parity = false\ncache_remote = "{url}"'),
    )
    assert tfjs_build(unsigned, "convert").returncode == 0
    [dense_key] = [p.name for p in (signed / ".tfjs-build/cache/v1").iterdir()]
    [conv_key] = [p.name for p in (unsigned / ".tfjs-build/cache/v1").iterdir()]

    def verify(root: Path, *flags: str) -> tuple[int, list[str]]:
        result = tfjs_build(root, "cache", "verify", *flags)
        assert not [line for line in messages(result) if "error" in line], result.stderr
        return result.returncode, result.stdout.splitlines()

    assert verify(signed, "--remote") == (0, [f"{url}: 2 entries checked, 0 bad"])
    trusting = _reader(tmp_path / "c", model_files, url, keys["old"])
    assert verify(trusting, "--remote") == (
        1,
        [f"{conv_key[:16]}  it is not signed", f"{url}: 2 entries checked, 1 bad"],
    )
    _poison_remote_entry(url, dense_key, consistently=False)
    assert verify(signed, "--remote") == (
        1,
        [
            f"{dense_key[:16]}  {SHARD} does not match its sha256",
            f"{url}: 2 entries checked, 1 bad",
        ],
    )

    assert verify(signed) == (0, [".tfjs-build/cache: 1 entry checked, 0 bad"])
    entry = signed / ".tfjs-build/cache/v1" / dense_key
    (entry / SHARD).write_bytes(_poisoned((entry / SHARD).read_bytes()))
    (signed / ".tfjs-build/cache/v1/incomplete").mkdir()
    assert verify(signed) == (
        1,
        [
            f"{dense_key[:16]}  {SHARD} does not match its recorded hash",
            "incomplete  its entry.json is missing or malformed",
            ".tfjs-build/cache: 2 entries checked, 2 bad",
        ],
    )
    assert (entry / SHARD).exists()  # verify reports, it removes nothing
