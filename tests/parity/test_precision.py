"""Sources computing in 16 bits are recognised (Keras files by their dtype policies, SavedModels
by their graphs), and their default tolerance allows for that arithmetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.layers.conftest import keras_flavor
from tfjs_build.parity.precision import source_compute_dtype
from tfjs_build.parity.tolerances import default_tolerance, resolve_tolerance


def _dense(keras: Any, policy: str) -> Any:
    keras.mixed_precision.set_global_policy(policy)
    try:
        x = keras.Input((3,), name="x")
        return keras.Model(x, keras.layers.Dense(2)(x))
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize(
    ("flavor", "policy", "expected"),
    [
        ("keras3", "float32", None),
        ("keras3", "mixed_float16", "float16"),
        ("keras3", "mixed_bfloat16", "bfloat16"),
        ("tf_keras", "mixed_float16", "float16"),
    ],
)
def test_keras_files_say_how_they_compute(flavor, policy, expected, tmp_path: Path) -> None:
    model = _dense(keras_flavor(flavor), policy)
    for suffix in (".keras", ".h5"):
        model.save(tmp_path / f"m{suffix}")
        assert source_compute_dtype(tmp_path / f"m{suffix}") == expected


def test_saved_models_say_it_in_their_graphs(tmp_path: Path) -> None:
    keras = keras_flavor("keras3")
    _dense(keras, "mixed_float16").export(tmp_path / "mixed", verbose=False)
    _dense(keras, "float32").export(tmp_path / "plain", verbose=False)
    assert source_compute_dtype(tmp_path / "mixed") == "float16"
    assert source_compute_dtype(tmp_path / "plain") is None


def test_16_bit_sources_loosen_each_default_field() -> None:
    float32, half = default_tolerance(None), default_tolerance(None, source_compute="float16")
    assert (half.atol, half.rtol, half.scale_tol) == (1e-4, 5e-3, 5e-3)
    assert half.scale_tol > float32.scale_tol
    assert default_tolerance("uint8", source_compute="float16") == default_tolerance(
        "uint8"
    )  # already looser
    assert default_tolerance(None, source_compute="bfloat16").scale_tol == 3e-2
    assert resolve_tolerance(None, "float16", atol=0.0).rtol == 5e-3
