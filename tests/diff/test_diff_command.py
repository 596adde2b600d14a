"""``tfjs-build diff`` in a real git repository: each kind of change, in every format."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.project_helpers import imported, messages, tfjs_build
from tests.git_repos import commit_all, git, init_repo

BASE_MODELS = ("rename", "reorder", "shape", "quant", "gone", "deeper", "still")


def _pyproject(models: dict[str, str]) -> str:
    tables = ['[tool.tfjs-build]\noutput_root = "web_model"\nparity = false\n']
    for name, extra in models.items():
        tables.append(
            f'[[tool.tfjs-build.models]]\nname = "{name}"\nsource = "models/{name}.keras"\n{extra}'
        )
    return "\n".join(tables)


@dataclass(frozen=True)
class Scenario:
    """A project in ``repo/app`` built and committed (``base``), then changed and rebuilt in the
    working tree: one model per kind of change, one unchanged."""

    repo: Path
    project: Path
    base: str

    def diff(self, *args: str) -> Any:
        return tfjs_build(self.project, "diff", *args)


def _convert(project: Path) -> None:
    result = tfjs_build(project, "convert")
    assert result.returncode == 0, messages(result)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, keras_variants: Path) -> Scenario:
    repo = init_repo(tmp_path_factory.mktemp("diff") / "repo")
    project = repo / "app"  # a project below the repository's root, as in a monorepo
    (project / "models").mkdir(parents=True)
    for name in BASE_MODELS:
        shutil.copy(keras_variants / "base.keras", project / "models" / f"{name}.keras")
    (project / "pyproject.toml").write_text(_pyproject(dict.fromkeys(BASE_MODELS, "")))
    _convert(project)
    base = commit_all(repo, "models as they were")
    for name, variant in [("rename", "renamed"), ("reorder", "reordered"), ("shape", "wide")]:
        shutil.copy(keras_variants / f"{variant}.keras", project / "models" / f"{name}.keras")
    shutil.copy(keras_variants / "deeper.keras", project / "models" / "deeper.keras")
    shutil.copy(keras_variants / "base.keras", project / "models" / "fresh.keras")
    (project / "models" / "gone.keras").unlink()
    models = dict.fromkeys(BASE_MODELS, "")
    del models["gone"]
    models["quant"] = 'quantization = "uint8"\n'
    models["fresh"] = ""
    (project / "pyproject.toml").write_text(_pyproject(models))
    _convert(project)
    return Scenario(repo, project, base)


@pytest.fixture(scope="module")
def as_json(scenario: Scenario) -> dict[str, Any]:
    result = scenario.diff("--format", "json")
    assert result.returncode == 0, messages(result)
    document = json.loads(result.stdout)
    return {m["name"]: m for m in document["models"]}


def test_diff_lists_the_changed_added_and_removed_models_but_not_the_unchanged_one(
    as_json: dict[str, Any],
) -> None:
    statuses = {name: m["status"] for name, m in as_json.items()}
    assert statuses == {
        "deeper": "changed",
        "fresh": "added",
        "gone": "removed",
        "quant": "changed",
        "rename": "changed",
        "reorder": "changed",
        "shape": "changed",
    }


def test_json_names_each_signature_change(as_json: dict[str, Any]) -> None:
    assert as_json["rename"]["signature"] == [
        {"side": "output", "kind": "renamed", "name": "score", "before": "score", "after": "logit"}
    ]
    assert as_json["reorder"]["signature"] == [
        {
            "side": "output",
            "kind": "reordered",
            "name": "",
            "before": ["probs", "score"],
            "after": ["score", "probs"],
        }
    ]
    assert as_json["shape"]["signature"] == [
        {
            "side": "input",
            "kind": "shape",
            "name": "features",
            "before": [None, 4],
            "after": [None, 6],
        }
    ]
    assert as_json["quant"]["signature"] == as_json["deeper"]["signature"] == []
    assert [o["name"] for o in as_json["reorder"]["after"]["outputs"]] == ["score", "probs"]


def test_json_says_what_was_rebuilt_from_what(as_json: dict[str, Any]) -> None:
    quant, rename = as_json["quant"], as_json["rename"]
    assert quant["causes"] == ["options: quantization (none -> uint8)"]
    assert quant["source_changed"] is False
    assert (quant["before"]["quantization"], quant["after"]["quantization"]) == ("none", "uint8")
    assert rename["causes"] == ["source"] and rename["source_changed"] is True
    assert as_json["deeper"]["blocks_added"] == ["LayerNormalization"]
    assert as_json["deeper"]["blocks_removed"] == []
    assert (
        as_json["fresh"]["before"] is None and as_json["fresh"]["after"]["format"] == "layers-model"
    )
    assert as_json["gone"]["after"] is None and as_json["gone"]["before"]["shards"] == 1
    assert as_json["gone"]["parity_before"]["checked"] is False


def test_json_flags_what_fail_on_counts(as_json: dict[str, Any]) -> None:
    flags = {name: m["flags"] for name, m in as_json.items()}
    assert flags == {
        "deeper": ["size"],
        "fresh": [],
        "gone": ["signature"],
        "quant": ["size"],  # a model of 67 weights: uint8's ranges outweigh the bytes saved
        "rename": ["signature"],
        "reorder": ["signature"],
        "shape": ["signature", "size"],
    }


def test_text_shows_one_block_per_model(scenario: Scenario) -> None:
    result = scenario.diff()
    assert result.returncode == 0, messages(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "tfjs-build diff HEAD..working tree: 5 changed, 1 added, 1 removed"
    assert "~ rename: source changed" in lines
    assert "    signature: output renamed: score -> logit" in lines
    assert "    signature: outputs reordered: probs, score -> score, probs" in lines
    assert "    signature: input features shape: [?, 4] -> [?, 6]" in lines
    assert "~ quant: source unchanged; options: quantization (none -> uint8)" in lines
    assert "    quantization: none -> uint8" in lines
    assert "    layers: + LayerNormalization" in lines
    assert "+ fresh: added" in lines and "- gone: removed" in lines
    assert not any("still" in line for line in lines)


def test_markdown_is_a_table_with_one_row_per_changed_model(scenario: Scenario) -> None:
    result = scenario.diff("--format", "markdown", "--fail-on", "signature")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "### TF.js models: changes against `HEAD`"
    assert lines[2].startswith("| Model | Change | Signature | Size |")
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in lines[4:11]}
    assert sorted(rows) == ["deeper", "fresh", "gone", "quant", "rename", "reorder", "shape"]
    assert rows["rename"][2] == "⚠️ output renamed: `score` -> `logit`"
    assert rows["reorder"][2] == "⚠️ outputs reordered: `probs`, `score` -> `score`, `probs`"
    assert rows["shape"][2] == "⚠️ input `features` shape: [?, 4] -> [?, 6]"
    assert rows["quant"][1] == "source unchanged; options: quantization (none -> uint8)"
    assert rows["quant"][5] == "none -> uint8"
    assert rows["fresh"][1] == "**added**" and rows["gone"][2] == "⚠️ model removed"
    assert (
        "**⚠️ signature changed (apps loading these models must change too):** `gone`, `rename`, `reorder`, `shape`  "
        in lines
    )


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("signature", 1), ("size", 1), ("parity", 0), ("parity,size", 1), ("", 0)],
)
def test_fail_on_exits_1_only_for_the_kinds_present(
    scenario: Scenario, fail_on: str, code: int
) -> None:
    result = scenario.diff("--fail-on", fail_on)
    assert result.returncode == code, messages(result)
    flagged = [line for line in messages(result) if line.startswith("tfjs-build diff: ")]
    expected = {"signature": 4, "size": 3, "parity": 0, "parity,size": 3, "": 0}[fail_on]
    assert len(flagged) == expected


def test_diff_reads_git_without_numpy_or_tensorflow(scenario: Scenario) -> None:
    result = scenario.diff("--format", "json")
    assert result.returncode == 0
    assert imported(result) == []


def test_an_unknown_base_is_a_usage_error(scenario: Scenario) -> None:
    result = scenario.diff("--base", "no-such-branch")
    assert result.returncode == 2
    assert messages(result) == [
        f"tfjs-build diff: error: --base no-such-branch: not a commit of the repository at "
        f"{scenario.project}; give a branch, a tag or a commit (in CI, fetch the base branch "
        "first: git fetch origin main)"
    ]


def test_no_change_since_the_base_is_one_sentence_and_exit_0(scenario: Scenario) -> None:
    git(scenario.repo, "add", "-A")
    tree = git(scenario.repo, "write-tree").strip()
    head = git(scenario.repo, "commit-tree", tree, "-p", "HEAD", "-m", "rebuilt").strip()
    git(scenario.repo, "reset", "-q")  # the index as it was; HEAD never moved
    text = scenario.diff("--base", head, "--fail-on", "signature,size,parity")
    markdown = scenario.diff("--base", head, "--format", "markdown")
    assert (text.returncode, text.stdout) == (
        0,
        f"tfjs-build diff {head}..working tree: no model changed\n",
    )
    assert markdown.stdout == f"### TF.js models: changes against `{head}`\n\nNo model changed.\n"


def test_lockfile_flag_names_the_lockfile_both_sides_are_read_from(scenario: Scenario) -> None:
    result = scenario.diff("--lockfile", "other.lock")  # none at HEAD nor in the working tree
    assert (result.returncode, result.stdout) == (
        0,
        "tfjs-build diff HEAD..working tree: no model changed\n",
    )
