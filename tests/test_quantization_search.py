"""``quantization = "auto"`` on real Keras 3 models checked in real TF.js: the search keeps wide
only what parity needs, records its plan, and says when even float32 fails."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.project_helpers import imported, lock, records, tfjs_build
from tests.tree import tree_hashes
from tfjs_build.cli import main
from tfjs_build.errors import RejectedBuildError
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.pipeline import BuildResult, build
from tfjs_build.quantization_search import (
    SMALL_WEIGHT_ELEMENTS,
    TrialOutcome,
    search_quantization,
)
from tfjs_build.verification import parity_verifier

AUTO = ConvertOptions(quantization="auto")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sensor.keras``: the tutorial's classifier made wide (300 features, one a rarely
    firing 400 V sensor, so BatchNormalization's variances span 0.05..1600), untrained;
    ``mlp.keras``: a plain MLP uint8 serves."""
    import keras

    root = tmp_path_factory.mktemp("auto")
    keras.utils.set_random_seed(0)
    sensor = keras.Sequential(
        [
            keras.Input((300,), name="features"),
            keras.layers.BatchNormalization(name="normalize"),
            keras.layers.Dense(256, activation="relu", name="hidden"),
            keras.layers.Dense(3, name="logits"),
        ]
    )
    norm = sensor.get_layer("normalize")
    variance = np.random.default_rng(0).uniform(0.05, 1.0, 300).astype("float32")
    variance[7] = 1600.0
    norm.moving_variance.assign(variance)
    sensor.save(root / "sensor.keras")
    keras.utils.set_random_seed(1)
    mlp = keras.Sequential(
        [
            keras.Input((32,), name="x"),
            keras.layers.Dense(128, activation="relu", name="hidden"),
            keras.layers.Dense(10, name="logits"),
        ]
    )
    mlp.save(root / "mlp.keras")
    return root


def _build(
    source: Path, output: Path, runtimes, parity: ParityOptions | None = None
) -> BuildResult:
    parity = parity or ParityOptions(parity_backends=("cpu", "wasm"))
    return build(source, output, AUTO, verify=parity_verifier(parity, AUTO, runtimes))


def test_auto_keeps_the_wide_batch_norm_variances_out_of_uint8(
    models: Path, tmp_path: Path, runtimes
) -> None:
    result = _build(models / "sensor.keras", tmp_path / "out", runtimes)
    plan = result.quantization_plan
    assert plan is not None and plan.passed
    # all-uint8 fails; the divergence blames normalize/moving_variance, which uint16 holds
    assert plan.parity_runs == 2
    assert plan.names("uint16") == ["normalize/moving_variance"]
    assert {"hidden/kernel", "logits/kernel"} <= set(plan.names("uint8"))
    assert plan.names("float32") == ["logits/bias"]  # 3 elements: float32 without a search
    assert plan.summary() == (
        "auto: 79.3 kB of 316.1 kB: uint8 for 6 weights, uint16 for normalize/moving_variance, "
        "float32 for logits/bias (2 parity runs)"
    )
    record = json.loads((tmp_path / "out" / "parity.json").read_text())
    assert record["passed"] is True
    assert record["quantization_plan"] == plan.record()
    stored = sum(plan.bytes_by_dtype().values())
    assert stored < plan.record()["float32_bytes"] / 3


def test_quantize_skip_keeps_weights_out_of_the_search(
    models: Path, tmp_path: Path, runtimes
) -> None:
    options = ConvertOptions(quantization="auto", quantize_skip=("*/moving_variance",))
    parity = ParityOptions(parity_backends=("cpu",))
    result = build(
        models / "sensor.keras",
        tmp_path / "out",
        options,
        verify=parity_verifier(parity, options, runtimes),
    )
    plan = result.quantization_plan
    assert plan is not None and plan.passed
    assert plan.parity_runs == 1  # nothing left for uint8 to break
    assert plan.names("float32") == ["normalize/moving_variance", "logits/bias"]
    assert result.warnings == ()
    assert plan.record()["why"] == {
        "normalize/moving_variance": "left out by quantize_only/quantize_skip",
        "logits/bias": "under 256 elements: float32 without a search",
    }


SENSOR_LINE = (
    "auto: 79.3 kB of 316.1 kB: uint8 for 6 weights, uint16 for normalize/moving_variance, "
    "float32 for logits/bias (2 parity runs)"
)


def test_the_convert_line_and_inspect_show_the_plan(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sensor"
    code = main(
        ["convert", str(models / "sensor.keras"), str(out), "--quantization", "auto",
         "--parity-backends", "cpu"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.rstrip().endswith(SENSOR_LINE)
    assert main(["inspect", str(out)]) == 0
    assert f"  chosen by:    {SENSOR_LINE}\n" in capsys.readouterr().out


def test_auto_with_parity_off_is_a_clear_error(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["convert", str(models / "sensor.keras"), str(tmp_path / "out"), "--quantization",
         "auto", "--no-parity"]
    )  # fmt: skip
    assert code == 2  # a configuration error
    assert capsys.readouterr().err.strip() == (
        "tfjs-build: error: --quantization auto chooses each weight's dtype by checking parity, "
        "which is off; turn parity on or choose a dtype"
    )
    assert not (tmp_path / "out").exists()


PROJECT = """[tool.tfjs-build]
output_root = "web_model"
parity_backends = ["cpu"]

[[tool.tfjs-build.models]]
name = "sensor"
source = "sensor.keras"
quantization = "auto"
"""


def _project(root: Path, models: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(PROJECT)
    (root / "sensor.keras").write_bytes((models / "sensor.keras").read_bytes())
    return root


def test_a_rebuild_reuses_the_plan_from_the_cache_without_a_search(
    models: Path, tmp_path: Path, node_packages: Path
) -> None:
    cache = tmp_path / "cache"
    first = _project(tmp_path / "first", models)
    built = tfjs_build(first, "convert", "--cache-dir", str(cache), "--json")
    assert built.returncode == 0, built.stderr
    assert records(built) == {"sensor": "converted"}
    assert f"; {SENSOR_LINE}" in built.stderr
    entry = lock(first)["models"]["sensor"]
    assert entry["options"]["quantization"] == "auto"
    assert entry["quantization"] == {
        "uint8": [
            "normalize/gamma",
            "normalize/beta",
            "normalize/moving_mean",
            "hidden/kernel",
            "hidden/bias",
            "logits/kernel",
        ],
        "uint16": ["normalize/moving_variance"],
    }

    report = tfjs_build(first, "report")
    assert report.returncode == 0, report.stderr
    page = (first / ".tfjs-build/report/index.html").read_text()
    assert f"<h3>Quantization chosen by auto</h3><p>{SENSOR_LINE}</p>" in page
    assert "<tr><td>uint16</td><td class=num>1</td><td class=num>600 B</td></tr>" in page
    assert (
        "<li><code>logits/bias</code>: under 256 elements: float32 without a search</li>"
        "<li><code>normalize/moving_variance</code>: the divergence report blamed it</li></ul>"
    ) in page

    second = _project(tmp_path / "second", models)
    reused = tfjs_build(second, "convert", "--cache-dir", str(cache), "--json")
    assert reused.returncode == 0, reused.stderr
    assert records(reused) == {"sensor": "restored"}
    assert imported(reused) == []  # no TensorFlow, no numpy: no conversion, no search
    assert "when built, key " in reused.stderr and f"; {SENSOR_LINE}" in reused.stderr
    assert tree_hashes(second / "web_model") == tree_hashes(first / "web_model")
    assert lock(second) == lock(first)


def test_auto_stores_everything_uint8_when_uint8_passes(
    models: Path, tmp_path: Path, runtimes
) -> None:
    result = _build(models / "mlp.keras", tmp_path / "out", runtimes)
    plan = result.quantization_plan
    assert plan is not None and plan.passed
    assert plan.parity_runs == 1
    assert plan.names("uint8") == ["hidden/kernel", "logits/kernel"]
    assert plan.names("float32") == ["hidden/bias", "logits/bias"]  # 128 and 10 elements
    assert plan.bytes_by_dtype() == {"uint8": 32 * 128 + 128 * 10, "float32": 4 * (128 + 10)}
    manifest = json.loads((tmp_path / "out" / "model.json").read_text())["weightsManifest"]
    stored = {w["name"]: w.get("quantization", {}).get("dtype") for w in manifest[0]["weights"]}
    assert stored == {
        "hidden/kernel": "uint8",
        "hidden/bias": None,
        "logits/kernel": "uint8",
        "logits/bias": None,
    }


def test_auto_cannot_help_a_model_failing_in_float32(
    models: Path, tmp_path: Path, runtimes
) -> None:
    strict = ParityOptions(
        parity_backends=("cpu",), parity_atol=0.0, parity_rtol=0.0, parity_scale_tol=0.0
    )
    with pytest.raises(RejectedBuildError) as failure:
        _build(models / "sensor.keras", tmp_path / "out", runtimes, strict)
    message = str(failure.value)
    assert "parity failed on TF.js cpu" in message
    assert "quantization='auto' cannot help: parity fails with every weight in float32" in message
    assert "nothing was published" in message
    assert not (tmp_path / "out").exists()


def _weights(*sizes: int) -> list[tuple[str, np.ndarray]]:
    return [(f"w{i}", np.zeros(size, np.float32)) for i, size in enumerate(sizes)]


def test_the_search_widens_what_is_blamed_then_narrows_what_was_widened_blindly() -> None:
    """w1 needs uint16, w2 float32; the report blames only w2, so w1 and w3 are widened
    together and w3 is narrowed back to uint8 afterwards, by halving the group."""
    need = {"w1": 2, "w2": 3}
    rank = {"uint8": 1, "uint16": 2, None: 3}
    tried = []

    def trial(dtypes) -> TrialOutcome:
        tried.append(dict(dtypes))
        short = [n for n, r in need.items() if rank[dtypes[n]] < r]
        return TrialOutcome(not short, tuple(n for n in short if n == "w2"))

    plan = search_quantization(_weights(10, 1000, 500, 2000), trial)
    assert plan.passed
    assert dict(plan.dtypes) == {"w0": None, "w1": "uint16", "w2": None, "w3": "uint8"}
    assert plan.parity_runs == len(tried) == 7
    # uint8; w2 blamed -> uint16; again -> float32; no blame: w1, w3 -> uint16; passes;
    # narrow w1 and w3 together (fails), then w3 (the larger; passes), then w1 (fails)
    assert [(t["w1"], t["w3"]) for t in tried[4:]] == [
        ("uint8", "uint8"),
        ("uint16", "uint8"),
        ("uint8", "uint8"),
    ]


def test_the_search_is_bounded_and_falls_back_to_float32() -> None:
    runs = []

    def trial(dtypes) -> TrialOutcome:
        runs.append(1)
        return TrialOutcome(False)

    plan = search_quantization(_weights(SMALL_WEIGHT_ELEMENTS, 5000), trial, max_runs=2)
    assert (plan.passed, plan.parity_runs, len(runs)) == (False, 2, 2)
    assert dict(plan.dtypes) == {"w0": None, "w1": None}
    assert plan.table() == ()


def test_small_weights_stay_float32_without_a_run() -> None:
    plan = search_quantization(_weights(SMALL_WEIGHT_ELEMENTS - 1), lambda d: TrialOutcome(True))
    assert plan.names("float32") == ["w0"] and plan.parity_runs == 1


def test_narrowing_never_reruns_the_plan_that_failed_first() -> None:
    """Nothing blamed: everything goes to uint16 and passes; narrowing all of it back would be
    the first plan again, so the halves are tried instead."""
    tried = []

    def trial(dtypes) -> TrialOutcome:
        tried.append(dict(dtypes))
        return TrialOutcome(dtypes["w1"] != "uint8")

    plan = search_quantization(_weights(1000, 3000, 500), trial)
    assert dict(plan.dtypes) == {"w0": "uint8", "w1": "uint16", "w2": "uint8"}
    assert [tuple(t.values()) for t in tried] == [
        ("uint8", "uint8", "uint8"),
        ("uint16", "uint16", "uint16"),
        ("uint8", "uint8", "uint16"),  # the larger half, w1 (3000) and w0 (1000): fails
        ("uint16", "uint16", "uint8"),  # the other half, w2: passes
        ("uint16", "uint8", "uint8"),  # w1 alone: fails
        ("uint8", "uint16", "uint8"),  # w0 alone: passes
    ]
