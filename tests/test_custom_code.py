"""Custom code: the project files a module list runs (found without importing), and importing it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tfjs_build.custom_code import CustomCodeError, imported_modules, module_files


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        {
            "team/__init__.py": "",
            "team/layers/__init__.py": "from .blocks import Block\n",
            "team/layers/blocks.py": "import numpy\nfrom ..util import helper\nfrom . import math_ops\n",
            "team/layers/math_ops.py": "import team.constants as constants\n",
            "team/util.py": "def helper(): pass\n",
            "team/constants.py": "VALUE = 1\n",
            "team/unused.py": "",
            "team/broken.py": "def (:\n",
            "flat.py": "from team import util\n",
        },
    )
    return tmp_path


def _names(files: list[Path], root: Path) -> list[str]:
    return [path.relative_to(root).as_posix() for path in files]


def test_module_files_follow_imports_inside_the_project(project: Path) -> None:
    assert _names(module_files(["team.layers"], project), project) == [
        "team/__init__.py",
        "team/constants.py",
        "team/layers/__init__.py",
        "team/layers/blocks.py",
        "team/layers/math_ops.py",
        "team/util.py",
    ]
    assert _names(module_files(["flat"], project), project) == [
        "flat.py",
        "team/__init__.py",
        "team/util.py",
    ]
    # A file that does not parse is still the module's file; importing it will say what is wrong.
    assert _names(module_files(["team.broken"], project), project) == [
        "team/__init__.py",
        "team/broken.py",
    ]
    assert module_files(["keras", "numpy.linalg", "missing.module"], project) == []


def test_module_files_never_leave_the_project(project: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    _write(outside, {"secret.py": "KEY = 1\n"})
    (project / "linked.py").symlink_to(outside / "secret.py")
    assert module_files(["linked"], project) == []


def test_imported_modules_puts_the_project_first_on_the_path_while_loading(project: Path) -> None:
    _write(project, {"registering.py": "import team.util\nLOADED = True\n"})
    before = list(sys.path)
    with imported_modules(["registering"], project):
        assert sys.modules["registering"].LOADED is True
        assert sys.path[0] == str(project.resolve())
    assert sys.path == before
    del sys.modules["registering"]


@pytest.mark.parametrize(
    ("origin", "hint"),
    [
        ("cli", "--imports nowhere.layers"),
        ("toml", '`imports = ["nowhere.layers"]` in [tool.tfjs-build]'),
        ("python", "imports=('nowhere.layers',)"),
    ],
)
def test_a_missing_module_is_one_line_in_the_syntax_of_where_it_was_listed(
    project: Path, origin, hint: str
) -> None:
    with (
        pytest.raises(CustomCodeError) as caught,
        imported_modules(["nowhere.layers"], project, origin),
    ):
        pass
    assert str(caught.value) == (
        f"cannot import 'nowhere.layers' (from {hint}): no module 'nowhere' in "
        f"{project.resolve()} or the installed packages"
    )


def test_a_module_that_fails_is_named_with_its_error(project: Path) -> None:
    _write(
        project,
        {"raising.py": "raise RuntimeError('no GPU here')\n", "needs.py": "import absent_pkg\n"},
    )
    expected = {
        "raising": r"^importing 'raising' failed: RuntimeError: no GPU here$",
        "needs": r"^importing 'needs' failed: No module named 'absent_pkg'$",
        "team.broken": r"^importing 'team.broken' failed: SyntaxError: ",
    }
    for module, message in expected.items():
        with pytest.raises(CustomCodeError, match=message), imported_modules([module], project):
            pass
