"""The tfjs-build-check hook, installed by pre-commit from this checkout, on real commits."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import yaml  # pre-commit's own dependency

from tests.precommit.conftest import CHECKOUT, Report, UserRepo, hook_reports, run

CHECK = {"id": "tfjs-build-check"}
PASSED: Report = ("tfjs-build check", "Passed", [])


def assert_refused(repo: UserRepo, printed: list[str], staged: str, *also: Report) -> None:
    """A commit of what is staged fails: the check hook prints ``printed`` (and the other hooks
    report ``also``), nothing is committed and ``staged`` (``git status --porcelain``) stays."""
    log = repo.log()
    result = repo.commit("refused")
    assert result.returncode == 1
    assert hook_reports(result.stdout) == [
        ("tfjs-build check", "Failed", ["- hook id: tfjs-build-check", "- exit code: 1", *printed]),
        *also,
    ]
    assert repo.log() == log
    assert repo.status() == staged


def test_a_clean_commit_passes_and_the_check_runs_on_every_commit(make_hooked_repo):
    repo = make_hooked_repo(CHECK)
    repo.git("add", "-A")
    first = repo.commit("models and artifacts")
    assert first.returncode == 0, first.stdout
    assert hook_reports(first.stdout) == [PASSED]
    assert repo.status() == ""
    (repo.root / "README.md").write_text("no model here\n")
    repo.git("add", "README.md")
    second = repo.commit("docs")
    assert second.returncode == 0, second.stdout
    assert hook_reports(second.stdout) == [PASSED]
    assert repo.log() == ["docs", "models and artifacts"]


def test_a_changed_model_blocks_the_commit_with_the_fix(make_hooked_repo, model_files):
    repo = make_hooked_repo(CHECK)
    repo.commit_everything_unchecked("models and artifacts")
    shutil.copyfile(model_files / "dense_changed.keras", repo.root / "models/dense.keras")
    repo.git("add", "models/dense.keras")
    printed = [
        "tfjs-build: 1 of 2 artifacts stale or missing:",
        "  dense (web_model/dense): source models/dense.keras changed",
        "fix: tfjs-build convert",
        "     then stage the result: git add web_model/dense tfjs-build.lock",
    ]
    assert_refused(repo, printed, "M  models/dense.keras\n")


def test_a_commit_deleting_a_shard_is_refused(make_hooked_repo):
    # Beside the check, a hook filtered by the convert hook's `files:` shows that pre-commit does
    # not run such a hook for a commit that only deletes: the reason the check is always_run.
    manifest = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    [convert_files] = [hook["files"] for hook in manifest if hook["id"] == "tfjs-build-convert"]
    witness = {"id": "witness", "name": "witness", "entry": "ran", "language": "fail"}
    repo = make_hooked_repo(CHECK)
    config = json.loads((repo.root / ".pre-commit-config.yaml").read_text())
    config["repos"].append({"repo": "local", "hooks": [{**witness, "files": convert_files}]})
    (repo.root / ".pre-commit-config.yaml").write_text(json.dumps(config))
    repo.commit_everything_unchecked("models and artifacts")
    repo.git("rm", "-q", "web_model/conv/group1-shard1of1.bin")
    printed = [
        "tfjs-build: 1 of 2 artifacts stale or missing:",
        "  conv (web_model/conv): output files missing: group1-shard1of1.bin",
        "fix: tfjs-build convert",
        "     then stage the result: git add web_model/conv tfjs-build.lock",
    ]
    skipped: Report = ("witness", "(no files to check)Skipped", [])
    assert_refused(repo, printed, "D  web_model/conv/group1-shard1of1.bin\n", skipped)


def test_a_hand_edited_model_json_is_refused_in_a_subdirectory_project(make_hooked_repo):
    repo = make_hooked_repo({**CHECK, "args": ["--project", "ml"]}, subdir="ml")
    repo.git("add", "-A")
    first = repo.commit("models and artifacts")
    assert first.returncode == 0, first.stdout
    assert hook_reports(first.stdout) == [PASSED]
    model_json = repo.project / "web_model/dense/model.json"
    edited = json.loads(model_json.read_text())
    edited["generatedBy"] = "a person"
    model_json.write_text(json.dumps(edited))
    repo.git("add", "ml/web_model/dense/model.json")
    printed = [
        "tfjs-build: 1 of 2 artifacts stale or missing:",
        "  dense (ml/web_model/dense): output files edited: model.json",
        "fix: tfjs-build convert --project ml",
        "     then stage the result: git add ml/web_model/dense ml/tfjs-build.lock",
    ]
    assert_refused(repo, printed, "M  ml/web_model/dense/model.json\n")


def test_the_check_hook_environment_has_no_tensorflow(check_hook_python):
    listing = (
        "import importlib.metadata as m, json; "
        "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))"
    )
    result = subprocess.run(
        [str(check_hook_python), "-c", listing], capture_output=True, text=True, check=True
    )
    names = json.loads(result.stdout)
    assert {"tfjs-build", "numpy", "h5py", "doit"} <= set(names)
    assert [n for n in names if n.startswith(("tensorflow", "keras", "tf-keras", "tf_keras"))] == []


def test_this_repos_own_config_checks_example_project_without_dependencies(hook_repo):
    """The dogfooded hook: ``python -m tfjs_build check`` in a clean checkout, from a hook
    environment that holds nothing but pip."""
    result = run(
        [sys.executable, "-m", "pre_commit", "run", "example-project-check", "--all-files"],
        hook_repo.path,
        hook_repo.env,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert hook_reports(result.stdout) == [("tfjs-build check example_project", "Passed", [])]


def test_try_repo_against_this_checkout(tmp_path, built_project, precommit_env):
    """``pre-commit try-repo`` with this checkout as it is (uncommitted changes included)."""
    root = tmp_path / "tried"
    shutil.copytree(built_project, root)
    run(["git", "init", "-q", "-b", "main", str(root)], tmp_path, precommit_env)
    run(["git", "add", "-A"], root, precommit_env)
    try_repo = [sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), "tfjs-build-check"]

    fresh = run(try_repo, root, precommit_env, check=False)
    assert fresh.returncode == 0, fresh.stdout
    assert hook_reports(fresh.stdout)[-1] == PASSED

    (root / "web_model" / "dense" / "group1-shard1of1.bin").unlink()
    run(["git", "add", "-A"], root, precommit_env)
    stale = run(try_repo, root, precommit_env, check=False)
    assert stale.returncode == 1
    assert hook_reports(stale.stdout)[-1][2][2:] == [
        "tfjs-build: 1 of 2 artifacts stale or missing:",
        "  dense (web_model/dense): output files missing: group1-shard1of1.bin",
        "fix: tfjs-build convert",
        "     then stage the result: git add web_model/dense tfjs-build.lock",
    ]
