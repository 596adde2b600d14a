"""Keras models whose signatures differ in one way each, built once for the diff tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MAKE_VARIANTS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import keras
    out = Path(sys.argv[1]); out.mkdir(parents=True)
    def model(width=4, score="score", reorder=False, deeper=False):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((width,), name="features")
        hidden = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
        if deeper:
            hidden = keras.layers.LayerNormalization(name="norm")(hidden)
        probs = keras.layers.Dense(3, activation="softmax", name="probs")(hidden)
        scored = keras.layers.Dense(1, name=score)(hidden)
        return keras.Model(inputs, [scored, probs] if reorder else [probs, scored])
    model().save(out / "base.keras")
    model(score="logit").save(out / "renamed.keras")
    model(reorder=True).save(out / "reordered.keras")
    model(width=6).save(out / "wide.keras")
    model(deeper=True).save(out / "deeper.keras")
    """
)


@pytest.fixture(scope="session")
def keras_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base.keras`` (input ``features`` [?, 4]; outputs ``probs``, ``score``) and one file per
    change: ``renamed`` (score -> logit), ``reordered``, ``wide`` (input [?, 6]), ``deeper`` (+ a
    LayerNormalization)."""
    out = tmp_path_factory.mktemp("variants") / "models"
    subprocess.run([sys.executable, "-c", MAKE_VARIANTS, str(out)], check=True, capture_output=True)
    return out
