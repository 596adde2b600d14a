"""``tfjs-build convert --target-backends``: a model with ops wasm lacks ships for cpu, checked there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.graph.models import spectrogram_module


@pytest.fixture(scope="module")
def spectrogram(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spectrogram_module(tmp_path_factory.mktemp("audio") / "spectrogram").path


def _convert(source: Path, output: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfjs_build", "convert", str(source), str(output), *flags],
        capture_output=True,
        text=True,
        check=False,
    )


def test_rfft_needs_a_target_without_wasm_and_says_which(spectrogram: Path, tmp_path: Path) -> None:
    refused = _convert(spectrogram, tmp_path / "web")
    assert refused.returncode == 1
    error = refused.stderr.strip().splitlines()[-1]
    assert "RFFT on wasm" in error
    assert "target only the backends that run it (--target-backends cpu,webgl)" in error
    assert not (tmp_path / "web").exists()


def test_target_backends_cpu_converts_and_checks_parity_on_cpu(
    spectrogram: Path, tmp_path: Path
) -> None:
    done = _convert(spectrogram, tmp_path / "web", "--target-backends", "cpu")
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "web" / "parity.json").read_text())
    assert record["passed"] and [b["backend"] for b in record["backends"]] == ["cpu"]
    errors = [o["max_abs_error"] for o in record["backends"][0]["outputs"]]
    assert max(errors) <= 1e-5
