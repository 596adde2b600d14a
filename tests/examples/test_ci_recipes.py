"""The CI recipes in ``examples/ci/`` run: their shell steps, taken from the YAML, run in clones
of a real git repository (a pull request's branch pushed to a bare ``origin``) against a real
project with a remote cache on a shared directory. Steps that install tfjs-build are skipped
(this checkout's is on PATH); the platform's variables are set as the platform would set them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.cli.project_helpers import messages, tfjs_build
from tests.git_repos import commit_all, git, git_env, init_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"
BIN = str(Path(sys.executable).parent)  # this checkout's tfjs-build
LABEL = "model-signature-change"


def _pyproject(remote: str, extra: str = "") -> str:
    return (
        f'[tool.tfjs-build]\nparity = false\ncache_remote = "{remote}"\n{extra}\n'
        '[[tool.tfjs-build.models]]\nname = "a"\nsource = "models/a.keras"\n\n'
        '[[tool.tfjs-build.models]]\nname = "b"\nsource = "models/b.keras"\n'
    )


@dataclass(frozen=True)
class Origin:
    """A bare ``origin`` whose ``main`` holds the built, committed models and whose branches
    ``rename`` (model a's output renamed, artifacts not rebuilt) and ``budget`` (a budget model a
    cannot fit) are pull requests."""

    url: str
    work: Path

    def clone(self, branch: str, name: str) -> Path:
        target = self.work / name
        git(self.work, "clone", "-q", "--branch", branch, self.url, str(target))
        return target


@pytest.fixture()
def origin(tmp_path: Path, keras_variants: Path) -> Origin:
    remote = (tmp_path / "shared-cache").as_uri()
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    dev = init_repo(tmp_path / "dev")
    (dev / "models").mkdir()
    for name in ("a", "b"):
        shutil.copy(keras_variants / "base.keras", dev / "models" / f"{name}.keras")
    (dev / "pyproject.toml").write_text(_pyproject(remote))
    built = tfjs_build(dev, "convert", "--no-cache-push")
    assert built.returncode == 0, messages(built)
    commit_all(dev, "models")
    git(dev, "remote", "add", "origin", bare.as_uri())
    git(dev, "push", "-q", "origin", "main")
    git(dev, "checkout", "-q", "-b", "rename")
    shutil.copy(keras_variants / "renamed.keras", dev / "models" / "a.keras")
    commit_all(dev, "a: the score output is now logit")
    git(dev, "push", "-q", "origin", "rename")
    git(dev, "checkout", "-q", "-b", "budget", "main")
    (dev / "pyproject.toml").write_text(_pyproject(remote, 'max_size = "1 kB"'))
    shutil.copy(keras_variants / "deeper.keras", dev / "models" / "a.keras")
    commit_all(dev, "a: deeper, and a budget")
    git(dev, "push", "-q", "origin", "budget")
    return Origin(bare.as_uri(), tmp_path)


# ---------------------------------------------------------------------------- the recipes
Step = tuple[str, str, dict[str, str]]
"""A step's name, its shell script and its environment (the recipe's, with the platform's
expressions already replaced)."""


def _github_steps(job: str, values: dict[str, str]) -> list[Step]:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = []
    for step in workflow["jobs"][job]["steps"]:
        if "run" not in step or step.get("name", "").startswith("Install"):
            continue
        env = {**workflow["env"], **step.get("env", {})}
        steps.append((step.get("name", ""), step["run"], _resolve(env, values) | values))
    return steps


def _gitlab_steps(job: str, values: dict[str, str]) -> list[Step]:
    pipeline = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    env = _resolve(pipeline["variables"], values) | values
    return [(f"script[{i}]", line, env) for i, line in enumerate(pipeline[job]["script"])]


def _resolve(env: dict[str, object], values: dict[str, str]) -> dict[str, str]:
    """``env`` with each ``${{ ... }}`` expression replaced by the value the test gives it."""
    resolved = {}
    for key, value in env.items():
        text = str(value)
        resolved[key] = values[key] if "${{" in text else text
    return resolved


@dataclass(frozen=True)
class Recipe:
    """A platform's jobs, as steps, with its variables for a shard and for a review."""

    build: Callable[[int, int], list[Step]]
    review: Callable[[str, str, Path], list[Step]]


GITHUB = Recipe(
    build=lambda shard, total: _github_steps("build", {"SHARD": str(shard), "TRUSTED": "true"}),
    review=lambda base, labels, summary: _github_steps(
        "review",
        {
            "BASE_REF": base,
            "LABELS": labels,
            "TRUSTED": "true",
            "GITHUB_STEP_SUMMARY": str(summary),
        },
    ),
)
GITLAB = Recipe(
    build=lambda shard, total: _gitlab_steps(
        "tfjs-build", {"CI_NODE_INDEX": str(shard), "CI_NODE_TOTAL": str(total)}
    ),
    review=lambda base, labels, summary: _gitlab_steps(
        "tfjs-review",
        {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": base, "CI_MERGE_REQUEST_LABELS": labels},
    ),
)


def _run_steps(
    steps: list[Step], cwd: Path, extra: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run ``steps`` in order as the platform does (bash -eo pipefail), stopping at the first
    that fails; its exit code and everything printed."""
    output = []
    for name, script, env in steps:
        full = {**git_env(), **env, **(extra or {}), "PATH": BIN + os.pathsep + os.environ["PATH"]}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env=full,
            capture_output=True,
            text=True,
            check=False,
        )
        output.append(f"## {name}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            return done.returncode, "\n".join(output)
    return 0, "\n".join(output)


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_recipe_builds_shards_posts_the_diff_and_fails_on_an_unaccepted_signature(
    origin: Origin, recipe: Recipe, tmp_path: Path
) -> None:
    for shard in (1, 2):
        code, output = _run_steps(recipe.build(shard, 2), origin.clone("rename", f"shard{shard}"))
        assert code == 0, output
        expected = "1 converted" if shard == 1 else "1 up to date"  # a changed; b did not
        assert expected in output, output
    review = origin.clone("rename", "review")
    summary = tmp_path / "summary.md"
    code, output = _run_steps(recipe.review("main", "", summary), review)
    assert code == 1, output  # the signature changed and nobody accepted it
    assert "1 restored from cache (1 from the remote)" in output  # built by shard 1
    markdown = summary.read_text() if recipe is GITHUB else (review / "model-diff.md").read_text()
    assert markdown.startswith("### TF.js models: changes against `origin/main`\n")
    assert "| `a` | source changed | ⚠️ output renamed: `score` -> `logit` |" in markdown
    assert "`b`" not in markdown
    assert "a: signature changed (--fail-on signature)" in output
    accepted, output = _run_steps(recipe.review("main", f"other,{LABEL}", summary), review)
    assert accepted == 0, output
    assert f"signature changes accepted by the {LABEL} label" in output


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_a_model_over_its_budget_fails_the_shard(origin: Origin, recipe: Recipe) -> None:
    code, output = _run_steps(recipe.build(1, 2), origin.clone("budget", "shard1"))
    assert code == 1
    assert "over its budget of 1.0 kB" in output


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_ci_how_to_shows_each_recipe_as_the_file_is(name: str) -> None:
    page = (EXAMPLES.parents[1] / "docs" / "how-to" / "ci.md").read_text(encoding="utf-8")
    assert f"```yaml\n{(EXAMPLES / name).read_text(encoding='utf-8')}```" in page
