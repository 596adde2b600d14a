"""Depfile text: GCC's escaping, which Make and Ninja read, and what a model is built from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.depfile import escape, model_inputs, render
from tfjs_build.errors import TfjsBuildError


@pytest.mark.parametrize(
    ("path", "escaped"),
    [
        ("models/plain.keras", "models/plain.keras"),
        ("models/my model/saved_model.pb", "models/my\\ model/saved_model.pb"),
        ("a\tb", "a\\\tb"),
        ("v#2", "v\\#2"),
        ("cost$", "cost$$"),
        ("odd\\ name", "odd\\\\\\ name"),  # a backslash before a space is doubled
        ("back\\slash", "back\\slash"),  # elsewhere it stays
    ],
)
def test_paths_are_escaped_as_gcc_escapes_them(path: str, escaped: str) -> None:
    assert escape(path) == escaped


def test_a_line_break_in_a_name_is_refused() -> None:
    with pytest.raises(TfjsBuildError, match="line break"):
        escape("a\nb")


def test_the_depfile_lists_the_inputs_then_an_empty_rule_for_each() -> None:
    assert render("web/m/model.json", ["a b.keras", "pyproject.toml"]) == (
        "web/m/model.json: \\\n  a\\ b.keras \\\n  pyproject.toml\n\na\\ b.keras:\n\npyproject.toml:\n"
    )


def test_a_directory_source_gives_its_files_and_directories(tmp_path: Path) -> None:
    model = tmp_path / "saved"
    (model / "variables").mkdir(parents=True)
    for name in ("saved_model.pb", "variables/variables.index", "variables/variables.data-0"):
        (model / name).write_bytes(b"x")
    (tmp_path / "pyproject.toml").write_text("")
    found = model_inputs(model, root=tmp_path, extra=[tmp_path / "pyproject.toml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "pyproject.toml",
        "saved",
        "saved/saved_model.pb",
        "saved/variables",
        "saved/variables/variables.data-0",
        "saved/variables/variables.index",
    ]
