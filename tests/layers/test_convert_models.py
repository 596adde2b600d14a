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
