"""check_parity end to end: real tf_keras sources against hand-made artifacts in real TF.js."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.parity.handmade import corrupted_copy, write_layers_artifact
from tfjs_build.artifact import read_model_json
from tfjs_build.errors import TfjsBuildError
from tfjs_build.parity import (
    ParityError,
    ProbeError,
    check_parity,
    default_tolerance,
    dumps_record,
    make_probes,
)


@pytest.fixture(scope="module")
def float32_report(mlp_dir: Path):
    return check_parity(mlp_dir / "float32", mlp_dir / "mlp.h5")


def test_float32_layers_model_passes_on_cpu_and_wasm(float32_report) -> None:
    record = float32_report.record
    assert float32_report.passed and record["passed"] and not record["skipped"]
    assert [b["backend"] for b in record["backends"]] == ["cpu", "wasm"]
    for backend in record["backends"]:
        assert [o["name"] for o in backend["outputs"]] == ["logits", "probs"]
        for output in backend["outputs"]:
            assert output["shape"][0] == 2 and output["max_abs_error"] < 1e-5
    assert record["inputs"] == {
        "kind": "probes",
        "seed": 0,
        "batch": 2,
        "dim_default": 32,
        "float_range": [-1.0, 1.0],
        "shapes": {},
    }
    assert record["tolerance"]["quantization"] is None and record["reference"] == "tf_keras"
    lines = float32_report.summary().splitlines()
    assert len(lines) == 4 and lines[0].startswith("[cpu] logits: max abs error")
    assert all(line.endswith("- ok") for line in lines)
    assert float32_report.failure_message() is None
    float32_report.raise_for_failure()


def test_the_record_is_deterministic(mlp_dir: Path, float32_report) -> None:
    again = check_parity(mlp_dir / "float32", mlp_dir / "mlp.h5", backends=("cpu", "wasm"))
    assert dumps_record(again.record) == dumps_record(float32_report.record)


def test_a_corrupted_weight_fails_and_names_the_output(mlp_dir: Path, tmp_path: Path) -> None:
    # the first value of the logits bias (a kernel value may meet a dead ReLU unit)
    corrupted = corrupted_copy(mlp_dir / "float32", tmp_path / "corrupted", "logits/bias")

    report = check_parity(corrupted, mlp_dir / "mlp.h5", backends=("cpu",))
    assert not report.passed and not report.record["passed"]
    message = report.failure_message()
    assert message is not None and "\n" not in message
    assert message.startswith(f"{corrupted}: parity failed on TF.js cpu for output logits: ")
    assert "max abs error" in message and "FAILED" in message
    with pytest.raises(ParityError, match="for output logits") as caught:
        report.raise_for_failure()
    assert caught.value.report is report


def test_uint8_passes_its_default_tolerance_and_fails_float32s(mlp_dir: Path) -> None:
    default = check_parity(mlp_dir / "uint8", mlp_dir / "mlp.h5")
    assert default.passed, default.summary()
    assert default.record["tolerance"]["quantization"] == "uint8"
    errors = [o["max_abs_error"] for b in default.record["backends"] for o in b["outputs"]]
    assert max(errors) > 1e-4  # quantization is visible...
    strict = check_parity(mlp_dir / "uint8", mlp_dir / "mlp.h5", tolerance=default_tolerance(None))
    assert not strict.passed  # ...and beyond what float32 allows
    assert "parity failed on TF.js cpu for output" in (strict.failure_message() or "")


def test_user_samples_are_fed_to_both_sides(mlp_dir: Path, tmp_path: Path) -> None:
    import tf_keras as K

    samples = np.random.default_rng(7).normal(0, 3, (5, 12)).astype(np.float32)
    path = tmp_path / "samples.npz"
    np.savez(path, features=samples)
    report = check_parity(mlp_dir / "float32", mlp_dir / "mlp.h5", backends=("cpu",))
    with_samples = check_parity(
        mlp_dir / "float32", mlp_dir / "mlp.h5", backends=("cpu",), samples=path
    )
    assert with_samples.passed
    assert with_samples.record["inputs"] == {
        "kind": "samples",
        "file": "samples.npz",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    logits = with_samples.record["backends"][0]["outputs"][0]
    assert logits["shape"] == [5, 5]  # the samples' batch, not the probes' 2
    expected = K.models.load_model(mlp_dir / "mlp.h5", compile=False)(samples)[0].numpy()
    row, col = logits["worst_index"]
    assert logits["worst_reference"] == pytest.approx(float(expected[row, col]), rel=1e-6)
    assert report.record["inputs"]["kind"] == "probes"


def test_samples_with_wrong_names_are_a_clear_error(mlp_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "wrong.npz"
    np.savez(path, feature=np.zeros((1, 12), np.float32))
    with pytest.raises(ProbeError) as caught:
        check_parity(mlp_dir / "float32", mlp_dir / "mlp.h5", samples=path)
    assert str(caught.value) == (
        f"{path}: missing input(s) features; unknown name(s) feature; "
        "the model's inputs are features"
    )


@pytest.mark.parametrize(
    ("backends", "message"),
    [((), "at least one TF.js backend"), (("cpu", "metal"), "unknown TF.js backend")],
)
def test_backends_are_checked_first(mlp_dir: Path, backends: tuple, message: str) -> None:
    with pytest.raises(TfjsBuildError, match=message):
        check_parity(mlp_dir / "float32", mlp_dir / "mlp.h5", backends=backends)


def test_tfjs_unable_to_run_the_artifact_is_a_failed_backend(tmp_path: Path) -> None:
    import tf_keras as K

    tokens = K.Input((4, 3), name="seq")
    model = K.Model(tokens, K.layers.GRU(2, reset_after=True, name="gru")(tokens))
    model.save(tmp_path / "gru.h5")
    artifact = write_layers_artifact(model, tmp_path / "gru")
    report = check_parity(artifact, tmp_path / "gru.h5", backends=("cpu",))
    assert not report.passed
    assert report.record["backends"][0]["error"].startswith("TF.js (cpu) failed on")
    assert "reset_after" in (report.failure_message() or "")


def test_probe_options_reach_the_probes_and_the_record(mlp_dir: Path) -> None:
    report = check_parity(
        mlp_dir / "float32",
        mlp_dir / "mlp.h5",
        backends=("wasm",),
        seed=9,
        shapes={"features": (3, 12)},
        float_range=(0.0, 2.0),
    )
    assert report.passed
    inputs = report.record["inputs"]
    assert (inputs["seed"], inputs["shapes"], inputs["float_range"]) == (
        9,
        {"features": [3, 12]},
        [0.0, 2.0],
    )
    assert report.record["backends"][0]["outputs"][0]["shape"] == [3, 5]
    probes = make_probes(read_model_json(mlp_dir / "float32"), seed=9, shapes={"features": (3, 12)})
    assert probes["features"].shape == (3, 12)
