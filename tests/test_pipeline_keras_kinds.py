"""Keras models as people save them, built, converted (``auto`` and a forced format), checked for
parity on TF.js cpu and wasm, and published: BatchNormalization variants, layers that need
expansions, Keras 3 ``.h5`` files Keras 3 cannot load back, a masked Embedding before a recurrent
layer, a layer feeding two outputs, mixed precision.

By default each kind runs as a Keras 3 ``.h5`` file with ``auto`` (a layers model) and forced to
``graph`` (Keras's loader, repaired); ``.keras`` files forced to ``layers`` and Keras 2 models
are ``slow``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.layers.conftest import keras_flavor
from tests.layers.expansion_models import arithmetic, batch_norm_variants, channels, randomize
from tfjs_build.options import ConvertOptions, ParityOptions
from tfjs_build.parity.tolerances import default_tolerance
from tfjs_build.pipeline import build
from tfjs_build.verification import parity_verifier

Built = tuple[Any, dict[str, np.ndarray]]


def masked_recurrent(keras: ModuleType) -> Built:
    """Embedding(mask_zero=True) before recurrent layers (Keras 3 writes a NotEqual op node)."""
    layers = keras.layers
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    y = layers.Embedding(20, 4, mask_zero=True)(tokens)
    y = layers.LSTM(3, return_sequences=True)(y)
    y = layers.GRU(2, reset_after=False, name="last")(y)
    return keras.Model(tokens, y), {}


def repeated_outputs(keras: ModuleType) -> Built:
    """One tensor returned twice, and an LSTM's output and states all returned."""
    layers = keras.layers
    x = keras.Input((5, 3), name="x")
    dense = layers.Dense(2, name="dense")(x)
    output, state_h, state_c = layers.LSTM(4, return_state=True, name="lstm")(x)
    return keras.Model(x, [dense, dense, output, state_h, state_c]), {}


def mixed_precision(keras: ModuleType) -> Built:
    """A CNN trained under the mixed_float16 policy (float32 softmax, as Keras advises)."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layers = keras.layers
        x = keras.Input((16, 16, 3), name="image")
        y = layers.Conv2D(8, 3, activation="relu")(x)
        y = layers.BatchNormalization()(y)
        y = layers.Conv2D(8, 3, strides=2)(y)
        y = layers.GlobalAveragePooling2D()(y)
        y = layers.Dense(10)(y)
        model = keras.Model(x, layers.Activation("softmax", dtype="float32", name="probs")(y))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return model, {}


KINDS: dict[str, Callable[[ModuleType], Built]] = {
    "batch_norm_variants": batch_norm_variants,
    "arithmetic": arithmetic,
    "channels": channels,
    "masked_recurrent": masked_recurrent,
    "repeated_outputs": repeated_outputs,
    "mixed_precision": mixed_precision,
}
KERAS2 = ("batch_norm_variants", "masked_recurrent", "repeated_outputs", "mixed_precision")
EXACT = ("masked_recurrent", "repeated_outputs")
"""Kinds whose artifacts compute exactly what the source does: within 1e-5 absolute."""


def _cases() -> list[Any]:
    cases: list[Any] = []
    for kind in KINDS:
        cases += [(kind, "keras3", ".h5", "auto"), (kind, "keras3", ".h5", "graph")]
        cases.append(pytest.param(kind, "keras3", ".keras", "layers", marks=pytest.mark.slow))
        if kind in KERAS2:
            cases.append(pytest.param(kind, "tf_keras", ".h5", "auto", marks=pytest.mark.slow))
    return cases


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, str], Path]:
    """``sources(kind, flavor, suffix)``: the model of ``kind`` saved once."""
    root = tmp_path_factory.mktemp("kinds")
    saved: dict[tuple[str, str], Path] = {}

    def get(kind: str, flavor: str, suffix: str) -> Path:
        if (kind, flavor) not in saved:
            keras = keras_flavor(flavor)
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            model, _ = KINDS[kind](keras)
            randomize(model)
            for extension in (".keras", ".h5"):
                model.save(root / f"{kind}-{flavor}{extension}")
            saved[kind, flavor] = root / f"{kind}-{flavor}"
        return saved[kind, flavor].with_suffix(suffix)

    return get


@pytest.mark.parametrize(("kind", "flavor", "suffix", "fmt"), _cases())
def test_keras_models_convert_and_pass_parity(
    kind: str, flavor: str, suffix: str, fmt: str, sources, tmp_path: Path
) -> None:
    source = sources(kind, flavor, suffix)
    options = ConvertOptions(format=fmt)  # type: ignore[arg-type]
    result = build(
        source, tmp_path / "out", options, verify=parity_verifier(ParityOptions(), options)
    )
    assert result.format == ("graph" if fmt == "graph" else "layers"), result.reason
    record = result.parity
    assert record is not None and not record["skipped"]
    assert record["passed"] is True
    assert [b["backend"] for b in record["backends"]] == ["cpu", "wasm"]
    compute = "float16" if kind == "mixed_precision" else None
    assert record["tolerance"]["source_compute"] == compute
    expected = default_tolerance(None, source_compute=compute)
    assert (record["tolerance"]["atol"], record["tolerance"]["scale_tol"]) == (
        expected.atol,
        expected.scale_tol,
    )
    outputs = [output for backend in record["backends"] for output in backend["outputs"]]
    assert all(output["passed"] for output in outputs)
    if kind in EXACT:
        assert max(float(output["max_abs_error"]) for output in outputs) <= 1e-5
    if kind == "repeated_outputs":
        assert len(record["backends"][0]["outputs"]) == 5  # none lost to a repeated name
