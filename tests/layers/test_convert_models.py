"""Real Keras 3 and tf_keras models, saved as .keras and .h5, converted and run in real TF.js."""

from __future__ import annotations

import pytest

from tests.layers.conftest import assert_outputs_match
from tests.layers.model_zoo import FLAVORS, ZOO


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("flavor", ["keras3", "tf_keras"])
@pytest.mark.parametrize("name", ZOO)
def test_tfjs_matches_keras(zoo, convert_and_run, name: str, flavor: str, suffix: str) -> None:
    if flavor not in FLAVORS.get(name, (flavor,)):
        pytest.skip(f"{name} exists only in {FLAVORS[name]}")
    saved = zoo(flavor, name)
    actual = convert_and_run(saved.files[suffix], saved.inputs)
    assert_outputs_match(actual, saved.expected)


@pytest.mark.parametrize("name", ["conv2d_stack", "recurrent"])
def test_wasm_backend_matches_keras(zoo, name: str, tmp_path) -> None:
    """The same artifacts run on TF.js's wasm backend too."""
    from tfjs_build.artifact import write_artifact
    from tfjs_build.layers import convert_keras_to_layers
    from tfjs_build.runtime import run_in_tfjs

    saved = zoo("keras3", name)
    write_artifact(convert_keras_to_layers(saved.files[".keras"]), tmp_path / "artifact")
    actual = run_in_tfjs(tmp_path / "artifact", saved.inputs, backend="wasm")
    assert_outputs_match(actual, saved.expected)
