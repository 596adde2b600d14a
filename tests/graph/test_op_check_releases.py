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
    assert (releases[0], releases[-1], len(releases)) == (
        tfjs_versions.OLDEST,
        tfjs_versions.PINNED,
        24,
    )
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


def _saved(directory: Path, name: str, compute) -> Path:
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4, 4], tf.float32, name="x")])
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": compute(tf, x)}

    module = Model()
    path = directory / name
    tf.saved_model.save(module, str(path), signatures=module.__call__)
    return path


@pytest.fixture(scope="module")
def finite_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # IsFinite: executed by the converter from 4.3.0 on
    return _saved(
        tmp_path_factory.mktemp("finite"),
        "finite",
        lambda tf, x: tf.where(tf.math.is_finite(1.0 / x), x, tf.zeros_like(x)),
    )


@pytest.fixture(scope="module")
def band_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # MatrixBandPart: executed from 4.3.0 on (and wrong in 4.22): tfjs-build lowers it
    return _saved(
        tmp_path_factory.mktemp("band"), "band", lambda tf, x: tf.linalg.band_part(x, 1, 0)
    )


def test_a_graph_model_with_an_op_a_release_lacks_is_refused_for_it(finite_model: Path) -> None:
    from tfjs_build.errors import UnsupportedModelError
    from tfjs_build.graph import convert_saved_model

    with pytest.raises(UnsupportedModelError) as caught:
        convert_saved_model(finite_model, tfjs_version=OLD, origin="cli")
    message = str(caught.value)
    assert message.startswith(
        f"{finite_model} (signature 'serving_default'): TF.js 3.21.0 (--tfjs-version 3.21.0) "
        "cannot run 1 op(s): "
        "IsFinite (first in TF.js 4.3.0) (node "
    )
    assert "; build for TF.js 4.3.0 or later (--tfjs-version 4.3.0), change the model, " in message
    for release in ("4.3.0", tfjs_versions.PINNED):
        artifact = convert_saved_model(finite_model, tfjs_version=release)
        assert "IsFinite" in {node["op"] for node in artifact.topology["node"]}


def test_an_op_a_release_lacks_is_lowered_for_it_and_matches_there(
    band_model: Path, runtimes, tmp_path: Path
) -> None:
    from tfjs_build.artifact import write_artifact
    from tfjs_build.graph import convert_saved_model
    from tfjs_build.graph.pipeline import ConversionReport
    from tfjs_build.parity import check_parity

    report = ConversionReport()
    old = convert_saved_model(band_model, backends=("cpu",), tfjs_version=OLD, report=report)
    assert report.rewrites.get("MatrixBandPart") == 1
    assert "MatrixBandPart" not in {node["op"] for node in old.topology["node"]}
    write_artifact(old, tmp_path)
    checked = check_parity(
        tmp_path, band_model, backends=("cpu", "wasm"), runtimes=runtimes, tfjs_version=OLD
    )
    assert checked.passed, checked.summary()
    assert max(o["max_abs_error"] for b in checked.record["backends"] for o in b["outputs"]) == 0


def test_the_tool_condenses_release_tables_into_first_releases_and_ranges() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("op_releases", TOOL.parent / "op_releases.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    def table(ops: list[str], wasm: list[str] | None, reached: list[str]) -> dict:
        kernels = {"cpu": ["Erf", "Mod"], **({"wasm": wasm} if wasm is not None else {})}
        return {
            "ops": ops,
            "kernels": kernels,
            "kernels_reached": {"FloorMod": reached} if reached else {},
            "channels_last_only": {"cpu": []},
        }

    tables = {
        "3.21.0": table(["Erf"], [], ["Mod"]),
        "4.0.0": table(["Erf", "IsFinite"], None, []),
        "4.1.0": table(["Erf", "IsFinite"], ["Erf"], ["Mod"]),
        "4.2.0": table(["Erf", "IsFinite"], ["Erf", "Mod"], []),
    }
    wasm = ["3.21.0", "4.1.0", "4.2.0"]
    facts = tool.condense(tables, {"tfjs-core": list(tables), "tfjs-backend-wasm": wasm})
    assert facts["releases"] == list(tables)
    assert facts["ops_since"] == {"IsFinite": "4.0.0"}
    assert facts["kernels_since"] == {"cpu": {}, "wasm": {"Erf": "4.1.0", "Mod": "4.2.0"}}
    assert facts["kernels_reached"] == {
        "FloorMod": {"Mod": [["3.21.0", "3.21.0"], ["4.1.0", "4.1.0"]]}
    }
    assert facts["packages"]["@tensorflow/tfjs-backend-wasm"] == [
        ["3.21.0", "3.21.0"],
        ["4.1.0", "4.2.0"],
    ]
