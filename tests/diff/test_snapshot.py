"""Reading a side of the diff: a lockfile names the artifacts, never files outside the project."""

from __future__ import annotations

import json
from pathlib import Path

from tfjs_build.diff.snapshot import read_snapshots
from tfjs_build.diff.tree import WorkTree

MODEL_JSON = {
    "format": "graph-model",
    "modelTopology": {"node": [{"name": "x", "op": "Placeholder"}]},
    "weightsManifest": [],
}


def _entry(output: str) -> dict[str, object]:
    return {
        "source": "m.keras",
        "source_fingerprint": "sha256:0",
        "options": {},
        "options_fingerprint": "sha256:1",
        "versions": {},
        "output": output,
        "format": "graph",
        "files": {},
        "parity": {"skipped": True, "reason": "off"},
    }


def test_an_output_outside_the_project_is_not_read(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for where in (tmp_path / "outside", project / "web" / "inside"):
        where.mkdir(parents=True)
        (where / "model.json").write_text(json.dumps(MODEL_JSON))
    models = {
        "inside": _entry("web/inside"),
        "escape": _entry("../outside"),
        "abs": _entry(str(tmp_path / "outside")),
    }
    (project / "tfjs-build.lock").write_text(json.dumps({"version": 1, "models": models}))
    snapshots = read_snapshots(WorkTree(project), "tfjs-build.lock")
    assert snapshots["inside"].artifact is not None
    assert snapshots["inside"].artifact.blocks == frozenset({"Placeholder"})
    assert snapshots["escape"].artifact is None and snapshots["abs"].artifact is None
