"""Signed remote cache entries: key files, what a signature covers, and a store that trusts only
some keys (on moto's S3 server and on a shared directory)."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from fsspec.core import url_to_fs

from tests.project.test_remote_store import SHARD, make_artifact, push
from tfjs_build.errors import ConfigError, UsageError
from tfjs_build.project.cache_signing import (
    SIGNING_KEY_ENV,
    PublicKey,
    SecretKey,
    Unsigned,
    check_signature,
    generate_keys,
    load_public_key,
    sign,
    signing_key_from_env,
    trusted_keys,
)
from tfjs_build.project.remote_store import RemoteStore

KEY = "ab" * 32
OTHER_KEY = "cd" * 32


@pytest.fixture(scope="module")
def key_pairs(tmp_path_factory) -> list[tuple[SecretKey, PublicKey]]:
    """Two key pairs, written by keygen and read back as a pusher and a reader read them."""
    pairs = []
    for name in ("old", "new"):
        secret, public = generate_keys(tmp_path_factory.mktemp("keys") / name)
        pairs.append(
            (
                signing_key_from_env({SIGNING_KEY_ENV: str(secret)}),
                load_public_key(public, f"keys/{name}.pub"),
            )
        )
    return pairs  # type: ignore[return-value]


def test_keygen_writes_a_private_secret_and_a_one_line_public_key_and_never_replaces_them(
    tmp_path,
):
    secret, public = generate_keys(tmp_path / "keys")
    assert (secret.name, public.name) == ("cache.key", "cache.pub")
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    [line] = public.read_text().splitlines()
    prefix, encoded = line.split(":")
    assert (prefix, len(base64.b64decode(encoded))) == ("tfjs-build-cache-ed25519-public", 32)
    before = secret.read_bytes()
    with pytest.raises(UsageError, match=r"cache.key exists already; keygen never replaces a key"):
        generate_keys(tmp_path / "keys")
    assert secret.read_bytes() == before


def test_a_signature_covers_the_manifest_bytes_and_the_entry_key(key_pairs):
    (secret, public), (_, other) = key_pairs
    manifest = b'{"key": "' + KEY.encode() + b'"}'
    document = sign(secret, KEY, manifest)
    check_signature((public,), KEY, manifest, document)  # valid: no exception
    check_signature((other, public), KEY, manifest, document)  # rotation: either key trusted
    cases = {
        "an edited manifest": (KEY, manifest + b" ", (public,), document),
        "replayed under another key": (OTHER_KEY, manifest, (public,), document),
        "an untrusted signer": (KEY, manifest, (other,), document),
        "no signature": (KEY, manifest, (public,), None),
    }
    problems = {}
    for name, (key, data, trusted, sig) in cases.items():
        with pytest.raises(Unsigned) as raised:
            check_signature(trusted, key, data, sig)
        problems[name] = str(raised.value)
    assert problems == {
        "an edited manifest": "its signature by keys/old.pub does not match it",
        "replayed under another key": "its signature by keys/old.pub does not match it",
        "an untrusted signer": f"it is signed by key {public.key_id!r}, not a trusted one",
        "no signature": "it is not signed",
    }


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: {**d, "signature": d["signature"][:40]}, "does not match it"),
        (lambda d: {**d, "signature": "%%%"}, "its signature is malformed"),
        (lambda d: {**d, "algorithm": "rsa"}, "its signature is malformed"),
        (lambda d: [d], "its signature is malformed"),
    ],
)
def test_a_truncated_or_malformed_signature_is_refused(key_pairs, edit, problem):
    secret, public = key_pairs[0]
    document = dict(sign(secret, KEY, b"{}"))
    with pytest.raises(Unsigned, match=problem):
        check_signature((public,), KEY, b"{}", edit(document))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            None,
            "cache_trusted_keys 'keys/cache.pub': {path} does not exist; list the cache.pub "
            "files `tfjs-build cache keygen DIR` writes",
        ),
        (
            "ssh-ed25519 AAAA",
            "cache_trusted_keys 'keys/cache.pub': {path} is not a tfjs-build "
            "cache public key; list the cache.pub files `tfjs-build cache keygen DIR` writes",
        ),
    ],
)
def test_a_missing_or_foreign_public_key_is_one_line_naming_it(tmp_path, content, message):
    path = tmp_path / "keys/cache.pub"
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        trusted_keys(tmp_path, ("keys/cache.pub",))
    assert str(raised.value) == message.format(path=path)


def test_a_bad_signing_key_names_the_environment_variable(tmp_path, key_pairs):
    assert signing_key_from_env({}) is None
    missing = tmp_path / "nowhere.key"
    with pytest.raises(ConfigError) as raised:
        signing_key_from_env({SIGNING_KEY_ENV: str(missing)})
    assert str(raised.value) == (
        f"{SIGNING_KEY_ENV}={missing}: {missing} does not exist; point it at the cache.key that "
        "`tfjs-build cache keygen DIR` writes"
    )
    _, public = generate_keys(tmp_path / "keys")
    with pytest.raises(ConfigError, match=rf"^{SIGNING_KEY_ENV}=.*cache.pub: not a tfjs-build"):
        signing_key_from_env({SIGNING_KEY_ENV: str(public)})  # the public half by mistake


def _reader(url: str, *trusted: PublicKey) -> RemoteStore:
    return RemoteStore(url, trusted=trusted, attempts=1)


def test_a_trusting_store_reads_only_entries_signed_by_a_trusted_key(
    remote_url, tmp_path, key_pairs
):
    (old, old_public), (new, new_public) = key_pairs
    files = make_artifact(tmp_path / "a", b"\x01" * 64)
    assert push(RemoteStore(remote_url, signer=old), "1" * 64, tmp_path / "a", files)
    assert push(RemoteStore(remote_url, signer=new), "2" * 64, tmp_path / "a", files)
    assert push(RemoteStore(remote_url), "3" * 64, tmp_path / "a", files)  # unsigned
    keys = ["1" * 64, "2" * 64, "3" * 64]

    def outcome(store: RemoteStore) -> list[str]:
        found = store.read_entries(keys)
        return [str(v) if isinstance(v, Exception) else "ok" for v in found.values()]

    assert outcome(RemoteStore(remote_url)) == ["ok", "ok", "ok"]  # no trusted keys: as before
    assert outcome(_reader(remote_url, old_public)) == [
        "ok",
        f"it is signed by key {new_public.key_id!r}, not a trusted one",
        "it is not signed",
    ]
    assert outcome(_reader(remote_url, old_public, new_public)) == ["ok", "ok", "it is not signed"]

    fs, root = url_to_fs(remote_url, skip_instance_cache=True)
    signed = json.loads(fs.cat_file(f"{root}/v1/entries/{'1' * 64}.json"))
    assert sorted(signed["signature"]) == ["algorithm", "key_id", "signature"]
    replayed = json.loads(fs.cat_file(f"{root}/v1/entries/{'2' * 64}.json"))
    replayed["signature"] = signed["signature"]  # entry 1's signature on entry 2
    fs.pipe_file(f"{root}/v1/entries/{'2' * 64}.json", json.dumps(replayed).encode())
    assert outcome(_reader(remote_url, old_public, new_public))[1] == (
        "its signature by keys/old.pub does not match it"
    )
    signed["key"] = "2" * 64  # entry 1 whole, signature included, under another key
    fs.pipe_file(f"{root}/v1/entries/{'2' * 64}.json", json.dumps(signed).encode())
    assert outcome(_reader(remote_url, old_public, new_public))[1] == (
        "its signature by keys/old.pub does not match it"
    )


def test_a_signing_push_replaces_an_unsigned_entry_of_its_key(remote_url, tmp_path, key_pairs):
    secret, public = key_pairs[0]
    files = make_artifact(tmp_path / "a", b"\x02" * 64)
    assert push(RemoteStore(remote_url), KEY, tmp_path / "a", files)
    assert push(RemoteStore(remote_url), KEY, tmp_path / "a", files) is False
    assert push(RemoteStore(remote_url, signer=secret), KEY, tmp_path / "a", files)
    assert push(RemoteStore(remote_url, signer=secret), KEY, tmp_path / "a", files) is False
    found = _reader(remote_url, public).read_entries([KEY])[KEY]
    assert isinstance(found, dict) and found["files"][SHARD]["size"] == 64


def test_a_secret_key_whose_halves_disagree_signs_nothing(key_pairs):
    (old, _), (new, _) = key_pairs
    damaged = SecretKey(old.seed, new.public, "TFJS_BUILD_CACHE_SIGNING_KEY=keys/cache.key")
    with pytest.raises(ConfigError) as raised:
        sign(damaged, KEY, b"{}")
    assert str(raised.value) == (
        "TFJS_BUILD_CACHE_SIGNING_KEY=keys/cache.key: the key file is damaged (its halves "
        "disagree); make a new pair with `tfjs-build cache keygen DIR`"
    )
