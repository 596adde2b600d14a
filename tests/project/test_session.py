"""A build session owns a run's state: two projects built in one process share nothing."""

from __future__ import annotations

import copy
import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Any

import tfjs_build
from tests.conftest import make_user_repo, pyproject
from tfjs_build.cli import main
from tfjs_build.project.config import load_config
from tfjs_build.project.events import Collecting, Finished, Started
from tfjs_build.project.lockfile import read_lockfile
from tfjs_build.project.session import BuildSession

CONTAINERS = (dict, list, set, bytearray)


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(tfjs_build.__path__, "tfjs_build."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _module_state() -> dict[str, Any]:
    """Every mutable container held at module level by a tfjs_build module, copied."""
    state: dict[str, object] = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("tfjs_build"):
            continue
        for attr, value in vars(module).items():
            if isinstance(value, CONTAINERS) and not attr.startswith("__"):
                try:
                    state[f"{name}.{attr}"] = copy.deepcopy(value)
                except TypeError:  # holds modules or other uncopyable things: compare by repr
                    state[f"{name}.{attr}"] = repr(value)
    return state


def test_two_projects_built_and_checked_in_one_process_leave_no_module_state(
    tmp_path: Path, model_files: Path, capsys: Any
) -> None:
    first = make_user_repo(tmp_path / "first", model_files, pyproject("dense", "conv"))
    second = make_user_repo(
        tmp_path / "second", model_files, pyproject("dense", dense='quantization = "uint8"')
    )
    _import_every_module()
    before = _module_state()
    assert before, "no module-level containers found: the snapshot looks at nothing"

    assert main(["convert", "--project", str(first)]) == 0
    assert main(["convert", "--project", str(second)]) == 0
    assert main(["check", "--project", str(first)]) == 0
    assert main(["check", "--project", str(second)]) == 0
    out = capsys.readouterr().out
    assert (
        "tfjs-build: 2 artifacts up to date" in out and "tfjs-build: 1 artifact up to date" in out
    )

    assert _module_state() == before
    assert sorted(read_lockfile(first / "tfjs-build.lock")["models"]) == ["conv", "dense"]
    second_entry = read_lockfile(second / "tfjs-build.lock")["models"]["dense"]
    assert second_entry["options"]["quantization"] == "uint8"


def test_a_session_writes_the_lockfile_once_when_it_closes(
    tmp_path: Path, model_files: Path
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    config = load_config(root)
    events = Collecting()
    with BuildSession(config, events) as session:
        results = [session.build(spec) for spec in config.models]
        assert [r.outcome for r in results] == ["converted", "converted"]
        assert not (root / "tfjs-build.lock").exists()  # pending until the session closes
        assert session.lockfile.pending == 2
    assert sorted(read_lockfile(root / "tfjs-build.lock")["models"]) == ["conv", "dense"]
    assert [type(e) for e in events.events] == [Started, Started, Finished] * 2
    started = [e for e in events.events if isinstance(e, Started)]
    assert [(e.name, e.action) for e in started] == [
        ("dense", "restore"),
        ("dense", "convert"),
        ("conv", "restore"),
        ("conv", "convert"),
    ]
    with BuildSession(load_config(root)) as again:
        assert [again.build(spec).outcome for spec in config.models] == ["up to date"] * 2
        assert again.lockfile.pending == 0


def test_an_error_inside_the_session_still_records_what_was_built(
    tmp_path: Path, model_files: Path
) -> None:
    root = make_user_repo(tmp_path / "repo", model_files, pyproject("dense", "conv"))
    config = load_config(root)
    try:
        with BuildSession(config) as session:
            session.build(config.models[0])
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert sorted(read_lockfile(root / "tfjs-build.lock")["models"]) == ["dense"]
