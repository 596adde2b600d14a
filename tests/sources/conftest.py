"""Each source kind built once per test session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sources import models


def _built(builder: Callable[[Path], models.Source], name: str) -> Callable[..., models.Source]:
    @pytest.fixture(scope="session")
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> models.Source:
        return builder(tmp_path_factory.mktemp("sources") / name)

    return fixture


keras_saved_mlp = _built(models.tf_keras_sequential_mlp, "mlp")
keras_saved_cnn = _built(models.tf_keras_functional_cnn, "cnn")
frozen_mlp = _built(models.tf1_frozen_mlp, "mlp.pb")
frozen_cnn = _built(models.tf2_frozen_cnn, "cnn.pb")
tfjs_layers = _built(models.tfjs_saved_layers_model, "tfjs")
