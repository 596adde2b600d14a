"""The op check answers for the TF.js release a model targets (``tfjs_version``): the measured
facts of ``tfjs_releases.json`` agree with the pinned table and with an older release's packages,
and a node is refused naming what that release lacks and the first release that has it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tfjs_build import tfjs_versions
from tfjs_build.graph.op_check import OpTable, load_op_table, node_problems

OLD = "3.21.0"
TOOL = Path(tfjs_versions.__file__).parent / "js" / "tools" / "op_registry.js"


def _node(op: str) -> object:
    from tests.graph.graph_defs import GraphDefBuilder

    g = GraphDefBuilder()
    g.node("n", op, [])
    return g.graph_def.node[0]


def _without_empty(sets: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    return {key: values for key, values in sets.items() if values}


def test_the_releases_run_from_the_oldest_covered_to_the_pinned_one() -> None:
    releases = tfjs_versions.releases()
    assert (releases[0], releases[-1], len(releases)) == (OLD, tfjs_versions.PINNED, 24)
    assert releases == sorted(releases, key=tfjs_versions.release_key)


def test_the_pinned_release_lacks_nothing_and_reaches_what_its_table_says() -> None:
    pinned, gaps = load_op_table(), tfjs_versions.graph_gaps(tfjs_versions.PINNED)
    assert gaps.ops == {} and all(not kernels for kernels in gaps.kernels.values())
    assert gaps.kernels_reached == pinned.kernels_reached
    assert gaps.channels_last_only == _without_empty(pinned.channels_last_only)
    assert load_op_table(tfjs_versions.PINNED) is pinned


def _measured(node_modules: Path) -> dict:
    from tfjs_build.runtime.node_packages import node_executable

    out = subprocess.run(
        [node_executable(), str(TOOL), str(node_modules)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_an_older_release_table_is_what_its_installed_packages_say() -> None:
    from tfjs_build.runtime.node_packages import ensure_node_packages

    measured = _measured(ensure_node_packages(OLD) / "node_modules")
    table: OpTable = load_op_table(OLD)
    assert measured["tfjs_converter_version"] == table.version == OLD
    assert table.ops == frozenset(measured["ops"])
    assert table.kernels == {b: frozenset(k) for b, k in measured["kernels"].items()}
    assert table.kernels_reached == {
        o: frozenset(k) for o, k in measured["kernels_reached"].items()
    }
    assert table.channels_last_only == _without_empty(
        {b: frozenset(k) for b, k in measured["channels_last_only"].items()}
    )


@pytest.mark.parametrize(
    ("op", "backends", "release", "problems"),
    [
        ("IsFinite", ("cpu",), OLD, ["IsFinite (first in TF.js 4.3.0)"]),
        ("IsFinite", ("cpu",), "4.3.0", []),
        ("Erf", ("cpu", "wasm"), OLD, ["Erf on wasm (first in TF.js 4.6.0)"]),
        ("Erf", ("cpu", "wasm"), "4.6.0", []),
        ("FloorMod", ("wasm",), "4.5.0", ["FloorMod on wasm (kernel Mod first in TF.js 4.6.0)"]),
        ("Sinh", ("webgl",), OLD, []),
        (
            "SparseSegmentSum",
            ("webgpu",),
            "4.7.0",
            ["SparseSegmentSum on webgpu (first in TF.js 4.8.0)"],
        ),
        # what no release has stays as the pinned release says it
        ("Einsum", ("wasm",), OLD, ["Einsum on wasm"]),
        ("Lgamma", ("cpu",), OLD, ["Lgamma"]),
    ],
)
def test_a_node_is_refused_for_what_its_release_lacks(
    op: str, backends: tuple[str, ...], release: str, problems: list[str]
) -> None:
    assert node_problems(_node(op), backends, load_op_table(release)) == problems
