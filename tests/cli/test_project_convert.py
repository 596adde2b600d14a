"""``tfjs-build convert`` without a SOURCE: the project's models, the shared cache, shards."""

from __future__ import annotations

import shutil

from tests.cli.project_helpers import imported, lock, messages, records, tfjs_build
from tests.conftest import USER_PYPROJECT, make_user_repo
from tests.tree import tree_hashes

ALL = {"dense", "conv", "scorer"}


def test_two_clones_sharing_a_cache_the_second_converts_nothing(
    tmp_path, model_files, node_packages
):
    cache = tmp_path / "shared-cache"
    first = make_user_repo(tmp_path / "first", model_files)
    second = make_user_repo(tmp_path / "second", model_files)

    built = tfjs_build(first, "convert", "--cache-dir", str(cache), "--json")
    assert built.returncode == 0, built.stderr
    assert records(built) == dict.fromkeys(ALL, "converted")
    assert "tensorflow" in imported(built)

    reused = tfjs_build(second, "convert", "--cache-dir", str(cache), "--json")
    assert reused.returncode == 0, reused.stderr
    assert records(reused) == dict.fromkeys(ALL, "restored")
    assert imported(reused) == []  # a hit needs neither TensorFlow nor numpy
    assert "scorer: restored from cache (graph, " in reused.stderr
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert lock(second) == lock(first)
    assert lock(second)["models"]["scorer"]["parity"]["passed"] is True  # the record came along

    again = tfjs_build(second, "convert", "--cache-dir", str(cache), "--json")
    assert records(again) == dict.fromkeys(ALL, "up to date")
    assert tfjs_build(second, "check").returncode == 0


def test_shards_build_every_model_exactly_once(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, PARITY_OFF)
    one = tfjs_build(root, "convert", "--shard", "1/2", "--no-cache", "--json")
    two = tfjs_build(root, "convert", "--shard", "2/2", "--no-cache", "--json")
    assert (one.returncode, two.returncode) == (0, 0)
    assert records(one) == {
        "conv": "converted",
        "scorer": "converted",
    }  # sorted names, dealt 1, 2, 1
    assert records(two) == {"dense": "converted"}
    assert (
        "tfjs-build: shard 2/2: 1 model: 1 converted, 0 restored from cache, 0 up to date, 0 failed"
        in two.stderr
    )
    assert sorted(lock(root)["models"]) == sorted(ALL)
    assert tfjs_build(root, "check").returncode == 0
    assert not (root / ".tfjs-build" / "cache").exists()  # --no-cache neither reads nor fills


PARITY_OFF = USER_PYPROJECT.replace("parity = true\n", "")  # no TensorFlow.js runs: quick


def test_fail_on_change_asks_to_stage_then_passes(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, PARITY_OFF)
    changed = tfjs_build(root, "convert", "--fail-on-change")
    assert changed.returncode == 1
    assert messages(changed)[-1] == (
        "tfjs-build: artifacts changed; stage them and commit again: "
        "git add web_model/dense web_model/conv web_model/scorer tfjs-build.lock"
    )
    unchanged = tfjs_build(root, "convert", "--fail-on-change")
    assert unchanged.returncode == 0
    assert unchanged.stdout.splitlines() == [
        "dense: up to date",
        "conv: up to date",
        "scorer: up to date",
        "tfjs-build: 3 models: 0 converted, 0 restored from cache, 3 up to date, 0 failed",
    ]


def test_a_failing_model_keeps_its_artifact_and_the_others_build(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, PARITY_OFF)
    assert tfjs_build(root, "convert", "--model", "dense").returncode == 0
    before = tree_hashes(root / "web_model" / "dense")
    (root / "models" / "dense.keras").write_bytes(b"PK\x03\x04 not really a zip")

    result = tfjs_build(root, "convert")
    assert result.returncode == 1
    assert records_from_lines(result.stdout) == {
        "dense": "FAILED",
        "conv": "converted",
        "scorer": "converted",
    }
    assert (
        messages(result)[-1] == "tfjs-build: failed: dense (the previous artifacts are unchanged)"
    )
    assert tree_hashes(root / "web_model" / "dense") == before
    check = tfjs_build(root, "check")
    assert check.returncode == 1
    assert "  dense (web_model/dense): source models/dense.keras changed" in check.stdout


def records_from_lines(stdout: str) -> dict[str, str]:
    return {
        line.split(": ")[0]: line.split(": ")[1].split(" ")[0].rstrip(":")
        for line in stdout.splitlines()
        if not line.startswith("tfjs-build:")
    }


def test_force_converts_fresh_models_and_dropped_models_leave_the_lockfile(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, PARITY_OFF)
    assert tfjs_build(root, "convert").returncode == 0
    lock_before = lock(root)
    forced = tfjs_build(root, "convert", "--force", "--model", "conv", "--json")
    assert records(forced) == {"conv": "converted"}
    assert lock(root) == lock_before  # the same inputs give the same artifact, byte for byte

    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index('[[tool.tfjs-build.models]]\nname = "scorer"')])
    shard = tfjs_build(root, "convert", "--shard", "1/1")
    assert sorted(lock(root)["models"]) == sorted(ALL)  # a shard never drops other entries
    assert "dropped" not in shard.stdout
    result = tfjs_build(root, "convert")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == (
        "tfjs-build: dropped lockfile entries of models no longer configured: scorer "
        "(their artifacts are left in place; `tfjs-build check` names them)"
    )
    assert sorted(lock(root)["models"]) == ["conv", "dense"]
    assert (root / "web_model" / "scorer" / "model.json").is_file()  # its files are left alone
    check = tfjs_build(root, "check")
    assert check.returncode == 0
    assert check.stdout.splitlines()[-1] == (
        "note: web_model/scorer holds an artifact no configured model builds; "
        "remove it with: rm -r web_model/scorer"
    )


def test_unknown_model_names_and_empty_projects_are_clear_errors(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, PARITY_OFF)
    result = tfjs_build(root, "convert", "--model", "dens")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2,
        "tfjs-build convert: error: no model named 'dens'; did you mean 'dense'?",
    )
    (root / "pyproject.toml").write_text("[tool.tfjs-build]\n")
    empty = tfjs_build(root, "convert")
    assert (empty.returncode, empty.stderr.splitlines()[0]) == (
        2,
        "tfjs-build convert: error: pyproject.toml configures no models",
    )


def test_shard_jobs_caches_merge_into_a_build_that_needs_no_tensorflow(tmp_path, model_files):
    """The docs/how-to/ci.md workflow: N shard jobs with their own caches, one job assembling them."""
    merged = tmp_path / "merged-cache" / "v1"
    merged.mkdir(parents=True)
    for shard in ("1/2", "2/2"):
        job = make_user_repo(tmp_path / f"job{shard[0]}", model_files, PARITY_OFF)
        assert tfjs_build(job, "convert", "--shard", shard).returncode == 0
        shutil.copytree(job / ".tfjs-build" / "cache" / "v1", merged, dirs_exist_ok=True)

    assemble = make_user_repo(tmp_path / "assemble", model_files, PARITY_OFF)
    result = tfjs_build(assemble, "convert", "--cache-dir", str(merged.parent), "--json")
    assert records(result) == dict.fromkeys(ALL, "restored")
    assert imported(result) == []
    assert tree_hashes(assemble / "web_model" / "dense") == tree_hashes(
        tmp_path / "job2" / "web_model" / "dense"
    )
    assert tfjs_build(assemble, "check").returncode == 0
