"""``tfjs-build convert`` and ``tfjs-build cache`` with a remote cache, as a user runs them (in
subprocesses), on moto's S3 server and on a shared directory."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.project_helpers import imported, lock, messages, records, tfjs_build
from tests.conftest import make_user_repo, pyproject, remote_objects, use_s3
from tests.tree import tree_hashes

ALL = ("dense", "conv", "scorer")


def project(url: str, top: str = "") -> str:
    """dense and conv without parity, scorer (a SavedModel: TensorFlow) with parity on cpu."""
    settings = f'parity = false\ncache_remote = "{url}"\n{top}'
    return pyproject(*ALL, top=settings, scorer='parity = true\nparity_backends = ["cpu"]')


def client_modules(url: str) -> list[str]:
    """What reaching ``url`` imports, of the modules the probe reports: obstore alone for S3 with
    the credentials in the variables, s3fs's stack with a profile, fsspec for a directory."""
    if not url.startswith("s3://"):
        return ["fsspec"]
    return ["botocore", "fsspec"] if "AWS_PROFILE" in os.environ else ["obstore"]


def test_a_second_clone_restores_every_model_byte_identical_without_tensorflow(
    remote_url, tmp_path, model_files, node_packages
):
    first = make_user_repo(tmp_path / "first", model_files, project(remote_url))
    built = tfjs_build(first, "convert", "--json")
    assert built.returncode == 0, built.stderr
    assert records(built) == dict.fromkeys(ALL, "converted")
    assert "tensorflow" in imported(built)
    assert f"tfjs-build: pushed 3 entries to {remote_url}" in messages(built)

    second = make_user_repo(tmp_path / "second", model_files, project(remote_url))
    restored = tfjs_build(second, "convert", "--json")
    assert restored.returncode == 0, restored.stderr
    assert records(restored) == dict.fromkeys(ALL, "restored")
    assert imported(restored) == client_modules(remote_url)  # no TensorFlow, no numpy
    lines = messages(restored)
    assert [line.split(" (")[0] for line in lines if "restored" in line] == [
        "dense: restored from remote cache",
        "conv: restored from remote cache",
        "scorer: restored from remote cache",
        "tfjs-build: 3 models: 0 converted, 3 restored from cache",
    ]
    assert lines[-1] == (
        "tfjs-build: 3 models: 0 converted, 3 restored from cache (3 from the remote), "
        "0 up to date, 0 failed"
    )
    assert not any("warning" in line or "pushed" in line for line in lines)
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert lock(second) == lock(first)
    assert lock(second)["models"]["scorer"]["parity"]["passed"] is True  # the record came along

    check = tfjs_build(second, "check")
    assert (check.returncode, imported(check)) == (0, [])  # check never reaches the remote
    again = tfjs_build(second, "convert", "--json")
    assert records(again) == dict.fromkeys(ALL, "up to date")
    assert imported(again) == []  # nothing stale: the remote is not even opened


@pytest.mark.parametrize("read_only", [["--no-cache-push"], "cache_push = false"])
def test_a_read_only_build_restores_from_the_remote_and_writes_nothing(
    remote_url, tmp_path, model_files, read_only
):
    writer = make_user_repo(tmp_path / "writer", model_files, project(remote_url))
    assert tfjs_build(writer, "convert", "--model", "dense").returncode == 0
    before = remote_objects(remote_url)
    assert len(before) == 1  # dense's manifest, its small files inside

    top = read_only if isinstance(read_only, str) else ""
    flags = read_only if isinstance(read_only, list) else []
    reader = make_user_repo(tmp_path / "reader", model_files, project(remote_url, top))
    result = tfjs_build(reader, "convert", "--model", "dense", "--model", "conv", "--json", *flags)
    assert result.returncode == 0, result.stderr
    assert records(result) == {"dense": "restored", "conv": "converted"}
    assert remote_objects(remote_url) == before  # conv was not pushed
    assert not any("pushed" in line or "warning" in line for line in messages(result))
    assert "conv: converted (" in result.stderr and "added to the cache)" in result.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_unreachable_remote_costs_time_not_the_build_and_is_said_once(
    tmp_path, model_files, monkeypatch, s3
):
    bucket = use_s3(s3, tmp_path, monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    url = f"s3://{bucket}/cache"
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", "conv", top=f'cache_remote = "{url}"')
    )
    result = tfjs_build(root, "convert", "--json")
    assert result.returncode == 0, result.stderr
    assert records(result) == {"dense": "converted", "conv": "converted"}
    [warning] = [line for line in messages(result) if "warning" in line]
    assert re.fullmatch(
        rf"tfjs-build: warning: remote cache unavailable: {url}: reading \d+ entr(y|ies) "
        r"failed 3 times \(GenericError: Generic S3 error: Error performing GET http://.*\); "
        r"building without it for the rest of this run",
        warning,
    )
    assert tfjs_build(root, "check").returncode == 0


def test_a_backend_that_is_not_installed_is_named_once_and_the_build_goes_on(tmp_path, model_files):
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("gcsfs is installed here")
    top = 'cache_remote = "gs://team-bucket/cache"'
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv", top=top))
    result = tfjs_build(root, "convert")
    assert result.returncode == 0, result.stderr
    assert [line for line in messages(result) if "warning" in line] == [
        "tfjs-build: warning: remote cache unavailable: cache_remote gs://team-bucket/cache needs "
        "gcsfs; install it with: pip install 'tfjs-build[gcs]'; building without it for the "
        "rest of this run"
    ]
    assert result.stdout.splitlines()[-1].startswith("tfjs-build: 2 models: 2 converted")


def test_cache_list_and_prune_learn_remote(remote_url, tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    given = ("--cache-remote", remote_url)
    assert tfjs_build(root, "convert", *given).returncode == 0

    listing = tfjs_build(root, "cache", "list", "--remote", *given)
    assert listing.returncode == 0, listing.stderr
    *rows, total = listing.stdout.splitlines()
    assert sorted(row.split()[-1] for row in rows) == ["models/conv.h5", "models/dense.keras"]
    assert all(re.fullmatch(r"[0-9a-f]{16}\s+[\d.]+ k?B\s+just now\s+\S+", row) for row in rows), (
        rows
    )
    assert re.fullmatch(rf"{re.escape(remote_url)}: 2 entries, [\d.]+ kB", total)

    unbounded = tfjs_build(root, "cache", "prune", "--remote", *given)
    assert (unbounded.returncode, messages(unbounded)) == (
        2,
        ["tfjs-build cache: error: cache prune --remote needs --max-size SIZE or --all"],
    )
    pruned = tfjs_build(root, "cache", "prune", "--remote", "--max-size", "1", *given)
    assert re.fullmatch(
        rf"{re.escape(remote_url)}: removed 2 entries \([\d.]+ kB\); 0 left \(0 B\); "
        r"0 unreferenced files removed\n",
        pruned.stdout,
    )
    assert tfjs_build(root, "cache", "list", "--remote", *given).stdout == (
        f"{remote_url}: 0 entries, 0 B\n"
    )
    assert len(tfjs_build(root, "cache", "list").stdout.splitlines()) == 3  # local: untouched

    unset = tfjs_build(root, "cache", "list", "--remote")
    assert (unset.returncode, messages(unset)) == (
        2,
        [
            "tfjs-build cache: error: no remote cache is configured: set cache_remote = "
            '"s3://bucket/prefix" in [tool.tfjs-build] or give --cache-remote URL'
        ],
    )


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (
            "flag",
            "team-bucket/cache",
            "tfjs-build convert: error: argument --cache-remote: expected a URL such as "
            "'s3://bucket/prefix', 'gs://bucket/prefix' or 'file:///shared/dir'",
        ),
        (
            "toml",
            "file://shared/dir",
            "tfjs-build: error: {root}/pyproject.toml: [tool.tfjs-build].cache_remote = "
            "'file://shared/dir': a file:// URL needs an absolute path: file:///shared/dir",
        ),
    ],
)
def test_a_malformed_remote_url_is_a_usage_error(tmp_path, model_files, where, value, message):
    top = f'cache_remote = "{value}"' if where == "toml" else ""
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", top=top))
    flags = ["--cache-remote", value] if where == "flag" else []
    result = tfjs_build(root, "convert", *flags)
    assert (result.returncode, messages(result)[-1]) == (2, message.format(root=root))


def test_the_ci_workflow_trusted_shards_push_forks_read_anonymously_assembling_restores(
    tmp_path, model_files, monkeypatch, s3
):
    """docs/how-to/ci.md: shard jobs with empty local caches push; a fork's run reads without
    credentials and writes nothing; the assembling job restores every model without TensorFlow."""
    url = f"s3://{use_s3(s3, tmp_path, monkeypatch)}/tfjs-build"
    config = pyproject(*ALL, top=f'parity = false\ncache_remote = "{url}"')
    # The writers make what they push public (moto honours object ACLs for unsigned reads).
    monkeypatch.setenv("FSSPEC_S3", json.dumps({"s3_additional_kwargs": {"ACL": "public-read"}}))
    for shard in ("1/2", "2/2"):
        job = make_user_repo(tmp_path / f"shard{shard[0]}", model_files, config)
        pushed = tfjs_build(job, "convert", "--shard", shard, "--cache-push")
        assert pushed.returncode == 0, pushed.stderr
    stored = remote_objects(url)

    monkeypatch.delenv("FSSPEC_S3")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("FSSPEC_S3_ANON", "true")  # fsspec's setting: unsigned requests
    fork = make_user_repo(tmp_path / "fork", model_files, config)
    (fork / "models" / "dense.keras").write_bytes(
        (model_files / "dense_changed.keras").read_bytes()
    )
    read_only = tfjs_build(fork, "convert", "--no-cache-push", "--json")
    assert read_only.returncode == 0, read_only.stderr
    assert records(read_only) == {"dense": "converted", "conv": "restored", "scorer": "restored"}
    assert not any("warning" in line for line in messages(read_only))

    monkeypatch.delenv("FSSPEC_S3_ANON")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    assert remote_objects(url) == stored  # the fork's run wrote nothing
    assemble = make_user_repo(tmp_path / "assemble", model_files, config)
    result = tfjs_build(assemble, "convert", "--no-cache-push", "--json")
    assert records(result) == dict.fromkeys(ALL, "restored")
    assert imported(result) == ["obstore"]  # credentials in the variables: obstore alone
    assert tree_hashes(assemble / "web_model") == {
        **tree_hashes(tmp_path / "shard1" / "web_model"),
        **tree_hashes(tmp_path / "shard2" / "web_model"),
    }
    assert tfjs_build(assemble, "check").returncode == 0


DEADLINE = 5


def _accept_all(server: socket.socket) -> int:
    """How many connections wait in ``server``'s backlog (the kernel accepted them for it)."""
    server.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def _convert_against_a_silent_remote(
    root: Path, model_files: Path, url: str, monkeypatch: pytest.MonkeyPatch, *flags: str
) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Build two models with ``url`` served by a socket that takes connections (the kernel does)
    and never answers: the result, the seconds it took, and how many connections it opened."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        top = f'cache_remote = "{url}"\ncache_remote_timeout = {DEADLINE}'
        repo = make_user_repo(root, model_files, pyproject("dense", "conv", top=top))
        started = time.perf_counter()
        result = tfjs_build(repo, "convert", "--json", *flags)
        return result, time.perf_counter() - started, _accept_all(silent)


@pytest.mark.parametrize("client", ["obstore", "fsspec"])
def test_a_remote_that_never_answers_costs_its_timeout_once_not_the_build(
    tmp_path, model_files, monkeypatch, s3, client
):
    url = f"s3://{use_s3(s3, tmp_path, monkeypatch)}/cache"
    chosen = ("--cache-remote-client", client)
    result, waited, connections = _convert_against_a_silent_remote(
        tmp_path / "repo", model_files, url, monkeypatch, *chosen
    )
    assert result.returncode == 0, result.stderr
    assert records(result) == {"dense": "converted", "conv": "converted"}
    [warning] = [line for line in messages(result) if "warning" in line]
    assert warning == (
        f"tfjs-build: warning: remote cache unavailable: {url}: reading 2 entries: no answer "
        f"within {DEADLINE} s (cache_remote_timeout); building without it for the rest of this run"
    )
    assert waited > DEADLINE
    # the deadline once, for the reads; then local builds, no push tried: the same connections as
    # a run that never pushes (counted, not timed: a loaded machine makes any time bound flaky)
    _, _, reads_only = _convert_against_a_silent_remote(
        tmp_path / "read-only", model_files, url, monkeypatch, *chosen, "--no-cache-push"
    )
    assert 0 < connections == reads_only
