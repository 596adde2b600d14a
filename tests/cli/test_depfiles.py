"""Depfiles with the real ``make`` and ``ninja``: they rebuild when a file inside a SavedModel
(or an imported module, or the configuration) changes, and not otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.project_helpers import messages, tfjs_build
from tests.conftest import make_user_repo

SAVED_MODEL = "models/my scorer#1"  # a space and a '#': both need escaping in a depfile
CONVERT = f'"{sys.executable}" -m tfjs_build convert "{SAVED_MODEL}" web/scorer --no-parity'

MAKEFILE = f"""web/scorer/model.json:
\t{CONVERT} --depfile scorer.d
-include scorer.d
"""

BUILD_NINJA = f"""rule tfjs
  command = {CONVERT} --depfile scorer.d
  depfile = scorer.d
  deps = gcc
build web/scorer/model.json: tfjs
"""


def _run(cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]  # tfjs-build
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": path}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)


def _touch(path: Path) -> None:
    """Change ``path``'s time as an edit would: now, later than anything built so far (to the
    nanosecond), and not in the future, which Make warns about."""
    time.sleep(0.01)
    os.utime(path)


def _ninja() -> str:
    ninja = shutil.which("ninja")
    if ninja is None:
        if os.environ.get("TFJS_BUILD_REQUIRE_NINJA"):
            pytest.fail("TFJS_BUILD_REQUIRE_NINJA is set and ninja is not on PATH")
        pytest.skip("ninja is not installed (apt-get install ninja-build)")
    return ninja


@pytest.fixture()
def saved_model_dir(tmp_path: Path, model_files: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(model_files / "scorer", work / SAVED_MODEL)
    (work / "models" / "notes.txt").write_text("not an input\n")
    return work


def test_make_rebuilds_when_a_file_inside_the_saved_model_changes(saved_model_dir: Path) -> None:
    work = saved_model_dir
    (work / "Makefile").write_text(MAKEFILE)
    first = _run(work, "make")
    assert first.returncode == 0, first.stderr
    assert (work / "web" / "scorer" / "model.json").is_file()
    depfile = (work / "scorer.d").read_text()
    assert depfile.startswith("web/scorer/model.json: \\\n  models/my\\ scorer\\#1 \\\n")
    assert "models/my\\ scorer\\#1/variables/variables.index:" in depfile.splitlines()
    assert _run(work, "make", "-q").returncode == 0  # up to date
    _touch(work / "models" / "notes.txt")
    assert _run(work, "make", "-q").returncode == 0  # not an input
    _touch(work / SAVED_MODEL / "variables" / "variables.index")
    assert _run(work, "make", "-q").returncode == 1  # stale: make would rebuild
    assert CONVERT in _run(work, "make", "-n").stdout


def test_ninja_rebuilds_when_a_file_inside_the_saved_model_changes(saved_model_dir: Path) -> None:
    ninja = _ninja()
    work = saved_model_dir
    (work / "build.ninja").write_text(BUILD_NINJA)
    first = _run(work, ninja)
    assert first.returncode == 0, first.stdout + first.stderr
    deps = _run(work, ninja, "-t", "deps").stdout
    assert f"    {SAVED_MODEL}/variables/variables.index\n" in deps
    assert _run(work, ninja, "-n").stdout == "ninja: no work to do.\n"
    _touch(work / "models" / "notes.txt")
    assert _run(work, ninja, "-n").stdout == "ninja: no work to do.\n"
    _touch(work / SAVED_MODEL / "variables" / "variables.index")
    assert _run(work, ninja, "-n").stdout.startswith("[1/1] ")


DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "make-ninja.md"
PROJECT_TOML = """[tool.tfjs-build]
parity = false
depfile_dir = "deps"

[[tool.tfjs-build.models]]
name = "classifier"
source = "models/dense.keras"
imports = ["helpers"]

[[tool.tfjs-build.models]]
name = "scorer"
source = "models/conv.h5"
"""


def _docs_block(first_line: str) -> str:
    """The code block of the how-to that starts with ``first_line``, as the page shows it."""
    page = DOCS_PAGE.read_text(encoding="utf-8")
    start = page.index(first_line + "\n")
    return page[start : page.index("```", start)]


@pytest.fixture()
def project(tmp_path: Path, model_files: Path) -> Path:
    """The how-to's project: classifier (a Keras file importing helpers, which imports shared)
    and scorer, built once with depfile_dir set."""
    root = make_user_repo(tmp_path / "repo", model_files, PROJECT_TOML)
    (root / "helpers.py").write_text("import shared  # noqa: F401\n")
    (root / "shared.py").write_text("")
    (root / "models" / "notes.txt").write_text("not an input\n")
    built = tfjs_build(root, "convert")
    assert built.returncode == 0, messages(built)
    return root


def test_a_project_build_writes_one_depfile_per_model(project: Path) -> None:
    assert (project / "deps" / "classifier.d").read_text() == (
        "web_model/classifier/model.json: \\\n  helpers.py \\\n  models/dense.keras \\\n"
        "  pyproject.toml \\\n  shared.py\n\nhelpers.py:\n\nmodels/dense.keras:\n\n"
        "pyproject.toml:\n\nshared.py:\n"
    )
    assert (
        (project / "deps" / "scorer.d")
        .read_text()
        .startswith("web_model/scorer/model.json: \\\n  models/conv.h5 \\\n  pyproject.toml\n")
    )


def test_the_how_tos_makefile_rebuilds_a_project_model_only_when_its_inputs_change(
    project: Path, model_files: Path
) -> None:
    (project / "Makefile").write_text(_docs_block("# Makefile, in the project"))
    target = "web_model/classifier/model.json"
    assert _run(project, "make", "-q").returncode == 0
    _touch(project / "models" / "conv.h5")  # scorer's source: only scorer is stale
    assert _run(project, "make", "-q", target).returncode == 0
    assert _run(project, "make", "-q").returncode == 1
    assert _run(project, "make").returncode == 0
    _touch(project / "shared.py")  # imported by helpers.py, which classifier imports
    assert _run(project, "make", "-q", target).returncode == 1
    again = _run(project, "make")
    assert again.returncode == 0 and "1 up to date" in again.stdout  # same content: no convert
    assert _run(project, "make", "-q").returncode == 0
    shutil.copy(model_files / "dense_changed.keras", project / "models" / "dense.keras")
    assert _run(project, "make", "-q", target).returncode == 1
    rebuilt = _run(project, "make")
    assert rebuilt.returncode == 0 and "1 converted" in rebuilt.stdout
    assert _run(project, "make", "-q").returncode == 0


def test_the_how_tos_build_ninja_rebuilds_a_project_model_only_when_its_inputs_change(
    project: Path,
) -> None:
    ninja = _ninja()
    (project / "build.ninja").write_text(_docs_block("# build.ninja, in the project"))
    first = _run(project, ninja)  # ninja has no record yet: it runs both (each up to date)
    assert first.returncode == 0 and first.stdout.count("1 up to date") == 2, first.stdout
    assert _run(project, ninja, "-n").stdout == "ninja: no work to do.\n"
    _touch(project / "models" / "notes.txt")
    assert _run(project, ninja, "-n").stdout == "ninja: no work to do.\n"
    _touch(project / "shared.py")
    dry = _run(project, ninja, "-n").stdout
    assert dry.startswith("[1/1] tfjs-build convert --model classifier"), dry


def test_depfile_needs_a_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tfjs-build]\n[[tool.tfjs-build.models]]\nname = "m"\nsource = "m.keras"\n'
    )
    result = tfjs_build(tmp_path, "convert", "--depfile", "m.d")
    assert result.returncode == 2
    assert messages(result) == [
        "tfjs-build convert: error: --depfile applies to converting one SOURCE; for the project's "
        "models set depfile_dir in [tool.tfjs-build] (or give --depfile-dir DIR)"
    ]
