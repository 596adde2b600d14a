"""Ops one backend lacks: refused for it, converted for the backends that run them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph.checks import assert_runs_like_tensorflow, write
from tests.graph.models import Case
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph import convert_saved_model


def test_rfft_is_refused_for_wasm_naming_the_backends_that_run_it(
    spectrogram_case: Case,
) -> None:
    with pytest.raises(UnsupportedModelError) as caught:
        convert_saved_model(spectrogram_case.path)
    message = str(caught.value)
    assert "ComplexAbs on wasm (node " in message and "RFFT on wasm (node " in message
    assert "target_backends=['cpu', 'webgl']" in message


def test_rfft_converts_for_cpu_and_runs_there_like_tensorflow(
    spectrogram_case: Case, tmp_path: Path
) -> None:
    artifact = convert_saved_model(spectrogram_case.path, backends=("cpu",))
    assert {"RFFT", "ComplexAbs"} <= {node["op"] for node in artifact.topology["node"]}
    assert_runs_like_tensorflow(
        write(artifact, tmp_path / "model"),
        spectrogram_case.inputs,
        spectrogram_case.expected,
        backends=("cpu",),
    )
