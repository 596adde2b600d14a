"""The renderers on a hand-made diff: parity checked on both sides, a format switch (whose
layer classes and ops are not compared: the switch says it)."""

from __future__ import annotations

import json

from tfjs_build.artifact.topology import TensorDescription
from tfjs_build.diff import render_json, render_markdown, render_text
from tfjs_build.diff.changes import DiffReport, ModelDiff, Parity
from tfjs_build.diff.snapshot import ArtifactFacts

X = (TensorDescription("x", (None, 3), "float32"),)
Y = (TensorDescription("y", (None, 2), "float32"),)
BEFORE = ArtifactFacts("layers-model", X, Y, frozenset({"Dense"}), "none", 10_000, 1)
AFTER = ArtifactFacts("graph-model", X, Y, frozenset({"MatMul", "Tanh"}), "float16", 6_000, 2)
DIFF = ModelDiff(
    "scorer",
    "changed",
    BEFORE,
    AFTER,
    (
        Parity(True, True, ("cpu", "wasm"), 6e-8),
        Parity(True, False, ("cpu",), 0.25),
    ),
    causes=("options: format (layers -> graph)",),
    flags=frozenset({"signature", "parity"}),
)
REPORT = DiffReport("origin/main", "working tree", (DIFF,))


def test_text_shows_the_format_switch_and_the_parity_change() -> None:
    assert render_text.render(REPORT) == (
        "tfjs-build diff origin/main..working tree: 1 changed\n"
        "~ scorer: source unchanged; options: format (layers -> graph)\n"
        "    size: 10.0 kB -> 6.0 kB (-40.0%), 1 -> 2 shards\n"
        "    format: layers-model -> graph-model\n"
        "    quantization: none -> float16\n"
        "    parity: cpu, wasm: max error 6.0e-08 -> cpu: FAILED, max error 2.5e-01\n"
    )


def test_markdown_calls_out_the_kinds_the_run_fails_on() -> None:
    lines = render_markdown.render(REPORT, frozenset({"parity"})).splitlines()
    assert lines[4] == (
        "| `scorer` | source unchanged; options: format (layers -> graph) | unchanged | "
        "10.0 kB -> 6.0 kB (-40.0%), 1 -> 2 shards | layers-model -> graph-model | "
        "none -> float16 | unchanged | cpu, wasm: max error 6.0e-08 "
        "-> cpu: FAILED, max error 2.5e-01 |"
    )
    assert lines[-1] == "**⚠️ parity got worse:** `scorer`  "


def test_json_keeps_every_number() -> None:
    model = json.loads(render_json.render(REPORT))["models"][0]
    assert model["parity_before"]["max_abs_error"] == 6e-8
    assert model["parity_after"] == {
        "checked": True,
        "passed": False,
        "backends": ["cpu"],
        "max_abs_error": 0.25,
        "skipped_reason": None,
    }
    assert model["flags"] == ["parity", "signature"]
    assert model["source_changed"] is False
    assert model["after"]["inputs"] == [{"name": "x", "shape": [None, 3], "dtype": "float32"}]
