"""The real pre-commit and the real git: this checkout's hooks in temporary user repos.

The session shares one hook repo (this checkout's working tree committed once into a temporary
git repo, so its revision stays constant) and one PRE_COMMIT_HOME, so pre-commit builds each
hook's environment once per session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pyproject

CHECKOUT = Path(__file__).resolve().parents[2]

# dense: parity on the cpu backend (the convert hook checks it); conv: parity off, to stay quick.
PYPROJECT = pyproject("dense", "conv", dense='parity = true\nparity_backends = ["cpu"]')

_STATUS = re.compile(r"^(?P<name>.+?)\.+(?P<status>Passed|Failed|\(no files to check\)Skipped)$")


def run(
    args: list[str], cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command; its stderr interleaved into stdout, as a terminal shows them."""
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}")
    return result


Report = tuple[str, str, list[str]]


def hook_reports(output: str) -> list[Report]:
    """pre-commit's report, hook by hook: its name, its status, and the lines printed under it
    (pre-commit's ``- hook id:``/``- exit code:`` lines, then the hook's own output), blank
    lines left out."""
    reports: list[Report] = []
    for line in output.splitlines():
        match = _STATUS.match(line)
        if match:
            reports.append((match["name"], match["status"], []))
        elif reports and line:
            reports[-1][2].append(line)
    return reports


@dataclass(frozen=True)
class HookRepo:
    """This checkout as pre-commit fetches a hook repo: a path and a fixed revision."""

    path: Path
    rev: str
    env: dict[str, str]

    def config(self, *hooks: dict[str, Any]) -> str:
        """A ``.pre-commit-config.yaml`` using ``hooks`` from this repo (JSON is YAML)."""
        return json.dumps(
            {"repos": [{"repo": str(self.path), "rev": self.rev, "hooks": list(hooks)}]}, indent=2
        )


@dataclass(frozen=True)
class UserRepo:
    """A user's git repo with pre-commit installed as its pre-commit hook."""

    root: Path
    project: Path
    env: dict[str, str]

    def git(self, *args: str) -> str:
        """Run git in the repo; its output."""
        return run(["git", *args], self.root, self.env).stdout

    def commit(self, message: str) -> subprocess.CompletedProcess[str]:
        """``git commit`` of what is staged, through the installed hook (may fail)."""
        return run(["git", "commit", "-q", "-m", message], self.root, self.env, check=False)

    def commit_everything_unchecked(self, message: str) -> None:
        """Stage everything and commit it with ``--no-verify`` (a test's starting point)."""
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message)

    def log(self) -> list[str]:
        """The commits' messages, newest first."""
        return self.git("log", "--format=%s").splitlines()

    def status(self) -> str:
        """``git status --porcelain``: empty when everything is committed."""
        return self.git("status", "--porcelain")

    def check(self) -> subprocess.CompletedProcess[str]:
        """``tfjs-build check`` of the working tree, with this checkout's code."""
        command = [sys.executable, "-m", "tfjs_build", "check", "--project", str(self.project)]
        return run(command, CHECKOUT, self.env, check=False)


@pytest.fixture(scope="session")
def precommit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every git and pre-commit run: one PRE_COMMIT_HOME for the session,
    no user or system git configuration, and TFJS_BUILD_CACHE_DIR (or the per-user default)
    passed through so the TF.js node packages are reused."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.pop("PYTHONUNBUFFERED", None)  # hooks buffer their output as they do for a user
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        PRE_COMMIT_COLOR="never",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def git_init(root: Path, env: dict[str, str]) -> None:
    """A new repo on branch main with a committer identity."""
    run(["git", "init", "-q", "-b", "main", str(root)], root.parent, env)
    run(["git", "config", "user.email", "tests@example.invalid"], root, env)
    run(["git", "config", "user.name", "tfjs-build tests"], root, env)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, precommit_env: dict[str, str]) -> HookRepo:
    """This checkout's working tree (tracked and untracked, not ignored), committed once."""
    root = tmp_path_factory.mktemp("hook-repo") / "tfjs-build"
    root.mkdir()
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        CHECKOUT,
        precommit_env,
    )
    for name in filter(None, listed.stdout.split("\0")):
        source = CHECKOUT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git_init(root, precommit_env)
    run(["git", "add", "-A"], root, precommit_env)
    run(["git", "commit", "-q", "--no-verify", "-m", "tfjs-build under test"], root, precommit_env)
    rev = run(["git", "rev-parse", "HEAD"], root, precommit_env).stdout.strip()
    return HookRepo(root, rev, precommit_env)


def _hook_environment(hook_repo: HookRepo, hook_id: str, scratch: Path) -> Path:
    """Have pre-commit install ``hook_id``'s environment; the environment's python."""
    git_init(scratch, hook_repo.env)
    probe = {
        "id": hook_id,
        "alias": "where",
        "entry": "python -c 'import sys; print(sys.executable)'",
        "always_run": True,
        "verbose": True,
    }
    (scratch / ".pre-commit-config.yaml").write_text(hook_repo.config(probe))
    started = time.perf_counter()
    result = run([sys.executable, "-m", "pre_commit", "run", "where"], scratch, hook_repo.env)
    print(f"{hook_id}: environment installed in {time.perf_counter() - started:.1f} s")
    [(_, status, lines)] = hook_reports(result.stdout)
    assert status == "Passed", result.stdout
    return Path(lines[-1])


@pytest.fixture(scope="session")
def check_hook_python(hook_repo: HookRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The check hook's environment, built once (its python)."""
    return _hook_environment(hook_repo, "tfjs-build-check", tmp_path_factory.mktemp("scratch"))


@pytest.fixture(scope="session")
def convert_hook_python(
    hook_repo: HookRepo, tmp_path_factory: pytest.TempPathFactory, node_packages: Path
) -> Path:
    """The convert hook's environment (TensorFlow included), built once (its python)."""
    return _hook_environment(hook_repo, "tfjs-build-convert", tmp_path_factory.mktemp("scratch"))


@pytest.fixture(scope="session")
def built_project(
    tmp_path_factory: pytest.TempPathFactory, model_files: Path, node_packages: Path
) -> Path:
    """A project (PYPROJECT, dense.keras and conv.h5) converted once: artifacts and lockfile."""
    project = tmp_path_factory.mktemp("built") / "project"
    (project / "models").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    for name in ("dense.keras", "conv.h5"):
        shutil.copyfile(model_files / name, project / "models" / name)
    command = [sys.executable, "-m", "tfjs_build", "convert", "--project", str(project)]
    run(command, CHECKOUT, dict(os.environ))
    shutil.rmtree(project / ".tfjs-build", ignore_errors=True)  # caches: user repos start cold
    return project


_HOOK_ENVIRONMENTS = {
    "tfjs-build-check": "check_hook_python",
    "tfjs-build-convert": "convert_hook_python",
}


@pytest.fixture()
def make_hooked_repo(
    tmp_path: Path, built_project: Path, hook_repo: HookRepo, request: pytest.FixtureRequest
) -> Callable[..., UserRepo]:
    """Make a user repo holding the built project (in ``subdir``) and a config of ``hooks``,
    ``pre-commit install`` done (the hooks' environments built beforehand) and nothing staged."""

    def make(*hooks: dict[str, Any], subdir: str = "") -> UserRepo:
        for hook in hooks:
            if hook["id"] in _HOOK_ENVIRONMENTS:
                request.getfixturevalue(_HOOK_ENVIRONMENTS[hook["id"]])
        root = tmp_path / "user-repo"
        project = root / subdir
        shutil.copytree(built_project, project)
        git_init(root, hook_repo.env)
        (root / ".pre-commit-config.yaml").write_text(hook_repo.config(*hooks))
        run([sys.executable, "-m", "pre_commit", "install"], root, hook_repo.env)
        return UserRepo(root, project, hook_repo.env)

    return make
