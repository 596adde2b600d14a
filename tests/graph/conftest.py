"""Session fixtures for the graph converter: each real model is built and saved once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph import models


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph-models")


@pytest.fixture(scope="session")
def mlp_case(model_dir: Path) -> models.Case:
    return models.mlp_module(model_dir / "mlp")


@pytest.fixture(scope="session")
def control_flow_case(model_dir: Path) -> models.Case:
    return models.control_flow_module(model_dir / "control_flow")


@pytest.fixture(scope="session")
def two_inputs_case(model_dir: Path) -> models.Case:
    return models.two_inputs_module(model_dir / "two_inputs")


@pytest.fixture(scope="session")
def two_signatures_cases(model_dir: Path) -> tuple[models.Case, models.Case]:
    return models.two_signatures_module(model_dir / "two_signatures")


@pytest.fixture(scope="session")
def keras3_export_case(model_dir: Path) -> models.Case:
    return models.keras3_conv_export(model_dir / "keras3_export")


@pytest.fixture(scope="session")
def tf_keras_case(model_dir: Path) -> models.Case:
    return models.tf_keras_saved_model(model_dir / "tf_keras")


@pytest.fixture(scope="session")
def keras3_lambda_case(model_dir: Path) -> models.Case:
    return models.keras3_lambda_model(model_dir / "lambda.keras")


@pytest.fixture(scope="session")
def keras3_custom_case(model_dir: Path) -> models.Case:
    return models.keras3_custom_layer_model(model_dir / "custom.keras")


@pytest.fixture(scope="session")
def tf_keras_lambda_case(model_dir: Path) -> models.Case:
    return models.tf_keras_lambda_h5(model_dir / "lambda.h5")


@pytest.fixture(scope="session")
def keras3_attention_case(model_dir: Path) -> models.Case:
    return models.keras3_attention_model(model_dir / "attention.keras")


@pytest.fixture(scope="session")
def wide_int_case(model_dir: Path) -> models.Case:
    return models.wide_int_module(model_dir / "wide_int")


@pytest.fixture(scope="session")
def tf_keras_conv_bn_case(model_dir: Path) -> models.Case:
    return models.tf_keras_conv_batch_norm(model_dir / "tf_keras_conv_bn")
