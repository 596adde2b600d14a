"""Faults and mistakes end in one line naming the path, the right exit code, nothing damaged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.cli.project_helpers import messages, tfjs_build
from tests.conftest import make_user_repo, pyproject
from tests.filesystems import fill_up, make_read_only, tmpfs
from tests.tree import tree_hashes


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "a bug in tfjs-build" not in result.stderr, result.stderr


def test_converting_into_a_directory_with_a_users_files_refuses_and_keeps_them(
    tmp_path, model_files
):
    site = tmp_path / "public"
    first = tfjs_build(
        tmp_path, "convert", str(model_files / "dense.keras"), "public", "--no-parity"
    )
    assert first.returncode == 0, first.stderr
    (site / "index.html").write_text("<h1>hi</h1>")
    (site / "img").mkdir()
    (site / "img" / "logo.png").write_bytes(b"\x89PNG")
    before = tree_hashes(site)
    again = tfjs_build(
        tmp_path, "convert", str(model_files / "dense.keras"), "public", "--no-parity"
    )
    assert again.returncode == 1
    assert messages(again) == [
        f"tfjs-build: error: refusing to replace {site}: it holds img (and 1 more), which is not "
        "part of a TF.js artifact and would be lost; move it away or choose an output directory "
        "of its own"
    ]
    assert tree_hashes(site) == before


def test_a_configured_output_with_a_users_files_fails_that_model_and_clean_keeps_them(
    tmp_path, model_files
):
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", "conv", dense='output = "public"')
    )
    assert tfjs_build(root, "convert").returncode == 0
    (root / "public" / "index.html").write_text("<h1>hi</h1>")
    (root / "models" / "dense.keras").write_bytes(
        (model_files / "dense_changed.keras").read_bytes()
    )
    result = tfjs_build(root, "convert")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("dense: FAILED: refusing to replace "), (
        result.stdout
    )
    assert "it holds index.html, which is not part of a TF.js artifact" in result.stdout
    clean = subprocess.run(
        [sys.executable, "-m", "doit", "clean", "convert"], cwd=root, capture_output=True, text=True
    )
    assert clean.returncode == 0, clean.stderr
    assert sorted(p.name for p in (root / "public").iterdir()) == ["index.html"]
    assert not (root / "web_model" / "conv").exists()


def test_a_full_output_disk_fails_that_model_with_one_line_and_the_others_build(
    tmp_path, model_files
):
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", "conv", conv='output = "small/conv"')
    )
    with tmpfs(root / "small", "16k") as small:
        fill_up(small)
        result = tfjs_build(root, "convert")
        _no_traceback(result)
        assert result.returncode == 1
        lines = result.stdout.splitlines()
        assert lines[0].startswith("dense: converted (layers")
        assert lines[1].startswith(f"conv: FAILED: cannot write {small}")
        assert lines[1].endswith("No space left on device; the previous artifact is unchanged")
        assert sorted(p.name for p in small.iterdir()) == ["filler"]  # no staging left behind
    assert "tfjs-build: failed: conv (the previous artifacts are unchanged)" in result.stderr


def test_a_read_only_lockfile_is_one_line_and_exit_1(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    (root / "pyproject.toml").write_text(
        pyproject("dense").replace(
            "[tool.tfjs-build]\n", '[tool.tfjs-build]\nlockfile = "ro/tfjs-build.lock"\n'
        )
    )
    with tmpfs(root / "ro", "64k") as read_only:
        make_read_only(read_only)
        result = tfjs_build(root, "convert")
        _no_traceback(result)
        assert result.returncode == 1
        assert messages(result)[-1] == (
            f"tfjs-build: error: cannot write the lockfile {read_only / 'tfjs-build.lock'}: "
            "Read-only file system; it is unchanged, so the models built will be found stale and "
            "restored from the build cache next time"
        )
    again = tfjs_build(root, "convert")
    assert again.returncode == 0
    assert again.stdout.splitlines()[0].startswith("dense: restored from cache (")


def test_a_model_name_too_long_for_the_filesystem_is_one_line(tmp_path, model_files):
    name = "m" * 240
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    (root / "pyproject.toml").write_text(
        pyproject("dense").replace('name = "dense"', f'name = "{name}"')
    )
    result = tfjs_build(root, "convert")
    _no_traceback(result)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{name}: FAILED: cannot write ")
    assert "File name too long" in result.stdout


def test_a_cache_dir_that_is_a_file_is_one_line_for_cache_commands(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    (root / "cache-file").write_text("not a directory")
    for action in ("list", "prune"):
        result = tfjs_build(root, "cache", action, "--cache-dir", "cache-file")
        _no_traceback(result)
        assert (result.returncode, messages(result)) == (
            1,
            [
                "tfjs-build: error: the build cache cache-file is a file, not a directory; set "
                "cache_dir in [tool.tfjs-build] (or --cache-dir) to a directory"
            ],
        )


def test_a_lockfile_entry_of_the_wrong_type_is_exit_2_for_check(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    (root / "tfjs-build.lock").write_text(json.dumps({"version": 1, "models": {"dense": [1]}}))
    result = tfjs_build(root, "check")
    assert (result.returncode, messages(result)) == (
        2,
        [
            f"tfjs-build: error: {root / 'tfjs-build.lock'}: the entry of model 'dense' is not a "
            "table; delete the entry (or the lockfile) and rebuild"
        ],
    )


def test_a_closed_pipe_ends_check_quietly(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    process = subprocess.Popen(
        [sys.executable, "-m", "tfjs_build", "check"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -1` that has already left
    stderr = process.stderr.read()
    assert (process.wait(), stderr) == (1, "")


def test_a_glob_that_matches_nothing_fails_check_and_convert(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense"))
    with (root / "pyproject.toml").open("a") as handle:
        handle.write('\n[[tool.tfjs-build.models]]\nsource = "trained/*.keras"\n')
    problem = (
        "tool.tfjs-build.models[1].source = 'trained/*.keras' matches no file or directory under "
        f"{root}; fix the pattern, or remove the entry if its models are gone"
    )
    check = tfjs_build(root, "check")
    assert check.returncode == 1
    assert f"error: {problem}" in check.stdout.splitlines()
    convert = tfjs_build(root, "convert")
    assert convert.returncode == 1
    assert convert.stdout.startswith("dense: converted (")  # the rest still builds
    assert f"tfjs-build: error: {problem}" in messages(convert)
    doit = subprocess.run(
        [sys.executable, "-m", "doit", "convert"], cwd=root, capture_output=True, text=True
    )
    assert doit.returncode != 0
    assert f"tfjs-build: error: {problem}" in doit.stderr.splitlines()


def test_a_quantization_pattern_that_matches_no_weight_is_a_warning(tmp_path, model_files):
    result = tfjs_build(
        tmp_path,
        "convert",
        str(model_files / "dense.keras"),
        "out",
        "--no-parity",
        "--quantization",
        "uint8",
        "--quantize-skip",
        "*/bais",
    )
    assert result.returncode == 0, result.stderr
    warning = [m for m in messages(result) if m.startswith("tfjs-build: warning:")]
    assert warning == [
        "tfjs-build: warning: --quantize-skip '*/bais' matches no weight; the weights are named "
        "like 'dense/kernel', 'dense/bias', 'dense_1/kernel', ... (`tfjs-build inspect --weights` "
        "lists them)"
    ]


def test_orphaned_run_directories_of_killed_processes_are_removed(tmp_path, model_files):
    """What a SIGKILL leaves behind in the temporary directory goes at the next TF.js run."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    dead = scratch / "tfjs-build-run-999999999-abcd"
    dead.mkdir()
    (dead / "input0.bin").write_bytes(b"x")
    env = {**os.environ, "TMPDIR": str(scratch)}
    result = subprocess.run(
        [sys.executable, "-m", "tfjs_build", "convert", str(model_files / "dense.keras"), "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    leftover = [p.name for p in scratch.iterdir() if p.name.startswith("tfjs-build-run-")]
    assert leftover == []
    shutil.rmtree(scratch)


def test_a_restore_that_cannot_publish_fails_only_its_model(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    assert tfjs_build(root, "convert").returncode == 0
    (root / "tfjs-build.lock").unlink()  # both stale again; both in the cache
    (root / "web_model" / "dense" / "notes.txt").write_text("mine")
    result = tfjs_build(root, "convert")
    _no_traceback(result)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"dense: FAILED: refusing to replace {root / 'web_model' / 'dense'}")
    assert lines[1].startswith("conv: restored from cache (")
    assert (root / "web_model" / "dense" / "notes.txt").read_text() == "mine"


def test_a_read_only_output_is_one_line_and_the_artifact_is_kept(tmp_path, model_files):
    root = make_user_repo(
        tmp_path / "repo", model_files, pyproject("dense", dense='output = "ro/dense"')
    )
    with tmpfs(root / "ro", "1m") as read_only:
        assert tfjs_build(root, "convert").returncode == 0
        before = tree_hashes(read_only / "dense")
        make_read_only(read_only)
        (root / "models" / "dense.keras").write_bytes(
            (model_files / "dense_changed.keras").read_bytes()
        )
        result = tfjs_build(root, "convert")
        _no_traceback(result)
        assert result.returncode == 1
        assert result.stdout.startswith(f"dense: FAILED: cannot write {read_only}")
        assert "Read-only file system; the previous artifact is unchanged" in result.stdout
        assert tree_hashes(read_only / "dense") == before
