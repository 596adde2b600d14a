"""structured_outputs: what ``model.predict(x)`` returns in TF.js for a graph model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tutorial_js import predict_in_tfjs
from tfjs_build.artifact.user_metadata import wants_structured_outputs
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.pipeline import build
from tfjs_build.verification import parity_verifier

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype="float32")
SCORER_W = np.arange(6, dtype="float32").reshape(3, 2)  # the scorer model of tests/conftest.py


def _build(source: Path, output: Path, **values: object) -> Path:
    options = ConvertOptions(**values)  # type: ignore[arg-type]
    build(
        source,
        output,
        options,
        verify=parity_verifier(ParityOptions(parity_backends=("cpu",)), options),
    )
    return output


@pytest.mark.parametrize(
    ("choice", "count", "wanted"),
    [("auto", 1, False), ("auto", 2, True), (True, 1, True), (False, 3, False)],
)
def test_auto_names_outputs_only_when_there_are_several(choice, count, wanted) -> None:
    assert wants_structured_outputs(choice, count) is wanted


def test_one_output_comes_back_as_a_tensor_by_default(model_files: Path, tmp_path: Path) -> None:
    output = _build(model_files / "scorer", tmp_path / "scorer")
    got = predict_in_tfjs(output, {"x": X})
    assert got["metadata"] is None and got["error"] is None
    np.testing.assert_allclose(got["dataSync"], np.tanh(X @ SCORER_W).reshape(-1), rtol=1e-6)
    assert got["predicted"]["tensor"] == got["dataSync"]


def test_one_output_as_a_named_map_on_request(model_files: Path, tmp_path: Path) -> None:
    output = _build(model_files / "scorer", tmp_path / "scorer", structured_outputs=True)
    got = predict_in_tfjs(output, {"x": X})
    assert got["metadata"] == {"structuredOutputKeys": ["y"]}
    assert got["dataSync"] is None and "dataSync is not a function" in got["error"]
    np.testing.assert_allclose(
        got["predicted"]["map"]["y"]["tensor"], np.tanh(X @ SCORER_W).reshape(-1), rtol=1e-6
    )


def test_several_outputs_are_a_named_map_by_default_and_an_array_when_off(
    compat_models: Path, tmp_path: Path
) -> None:
    named = predict_in_tfjs(_build(compat_models / "two_heads", tmp_path / "named"), {"x": X})
    assert named["metadata"] == {"structuredOutputKeys": ["scores", "total"]}
    assert set(named["predicted"]["map"]) == {"scores", "total"}
    listed = predict_in_tfjs(
        _build(compat_models / "two_heads", tmp_path / "listed", structured_outputs=False),
        {"x": X},
    )
    assert listed["metadata"] is None
    first, second = listed["predicted"]["array"]
    np.testing.assert_allclose(first["tensor"], named["predicted"]["map"]["scores"]["tensor"])
    np.testing.assert_allclose(second["tensor"], named["predicted"]["map"]["total"]["tensor"])
    np.testing.assert_allclose(
        np.sum(np.reshape(first["tensor"], (2, 4)), axis=1), [1, 1], rtol=1e-6
    )


def test_the_option_reads_auto_true_and_false_from_toml_and_the_command_line() -> None:
    from tfjs_build.errors import ConfigError
    from tfjs_build.options import OPTIONS

    option = OPTIONS["structured_outputs"]
    assert [option.check(v, "structured_outputs") for v in ("auto", True, False)] == [
        "auto",
        True,
        False,
    ]
    assert [option.kind.from_text(t) for t in ("auto", "true", "false")] == ["auto", True, False]
    with pytest.raises(
        ConfigError, match=r"structured_outputs = 'yes': expected 'auto', true or false"
    ):
        option.check("yes", "structured_outputs")
