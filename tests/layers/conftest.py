"""Fixtures for the layers converter: real Keras 3 and tf_keras models, saved once per session,
converted, and run in real TF.js."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.layers import model_zoo

ATOL = 1e-5


@dataclass(frozen=True)
class SavedModel:
    """A Keras model saved in several formats, with probe inputs and Keras's predictions."""

    files: dict[str, Path]
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]


def keras_flavor(flavor: str) -> ModuleType:
    """``keras`` (Keras 3) or ``tf_keras`` (Keras 2)."""
    if flavor == "keras3":
        import keras
    else:
        import tf_keras as keras
    return keras


def randomize_weights(model: Any, seed: int = 0) -> None:
    """Give every weight a non-trivial value (positive for variances)."""
    rng = np.random.default_rng(seed)
    values = []
    for weight, current in zip(model.weights, model.get_weights(), strict=True):
        value = rng.normal(0.0, 0.3, size=current.shape)
        if "moving_variance" in (getattr(weight, "path", None) or weight.name):
            value = np.abs(value) + 0.5
        values.append(value.astype(current.dtype))
    model.set_weights(values)


def predict(model: Any, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keras's predictions keyed by output layer name (as TF.js names them)."""
    given: Any = inputs if len(inputs) > 1 else next(iter(inputs.values()))
    outputs = model.predict(given, verbose=0)
    if isinstance(outputs, dict):  # dict outputs: the zoo names their layers by their keys
        return {name: np.asarray(value) for name, value in outputs.items()}
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    names = model_zoo.output_names(model)
    return {name: np.asarray(value) for name, value in zip(names, outputs, strict=True)}


def save_everywhere(
    model: Any, flavor: str, directory: Path, inputs: dict[str, np.ndarray]
) -> SavedModel:
    """Save ``model`` as ``.keras`` and ``.h5`` and record its predictions."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for suffix in (".keras", ".h5"):
        target = directory / f"{model.name}-{flavor}{suffix}"
        model.save(target)
        files[suffix] = target
    return SavedModel(files, inputs, predict(model, inputs))


@pytest.fixture(scope="session")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], SavedModel]:
    """``zoo(flavor, name)``: the zoo model ``name`` built with ``flavor``, saved once."""
    built: dict[tuple[str, str], SavedModel] = {}
    root = tmp_path_factory.mktemp("zoo")

    def get(flavor: str, name: str) -> SavedModel:
        if (flavor, name) not in built:
            keras = keras_flavor(flavor)
            keras.backend.clear_session()  # auto-generated layer names start afresh
            keras.utils.set_random_seed(0)
            model, inputs = model_zoo.BUILDERS[name](keras)
            randomize_weights(model)
            built[flavor, name] = save_everywhere(model, flavor, root / name, inputs)
        return built[flavor, name]

    return get


@pytest.fixture
def convert_and_run(
    tmp_path: Path,
) -> Callable[[Path, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Convert a Keras file, write the artifact, and run it in real TF.js."""
    from tfjs_build.artifact import write_artifact
    from tfjs_build.layers import convert_keras_to_layers
    from tfjs_build.runtime import run_in_tfjs

    def run(source: Path, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        target = tmp_path / f"{source.stem}-{source.suffix[1:]}"
        write_artifact(convert_keras_to_layers(source), target)
        return run_in_tfjs(target, inputs)

    return run


def assert_outputs_match(
    actual: dict[str, np.ndarray],
    expected: dict[str, np.ndarray],
    atol: float = ATOL,
    rtol: float = 0.0,
) -> None:
    """Same output names, shapes, and values within ``atol + rtol * |expected|``."""
    assert sorted(actual) == sorted(expected)
    for name, want in expected.items():
        got = actual[name]
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=name)
