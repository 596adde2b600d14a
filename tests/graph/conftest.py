"""Session fixtures for the graph converter: each real model is built and saved once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.graph import models, product_models, table_models, tf1_models, wasm_models


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph-models")


def _saved_once(build: Callable[[Path], Any], name: str) -> Any:
    """A session fixture that builds the model ``build`` saves at ``model_dir / name``."""

    @pytest.fixture(scope="session")
    def fixture(model_dir: Path) -> Any:
        return build(model_dir / name)

    return fixture


mlp_case = _saved_once(models.mlp_module, "mlp")
control_flow_case = _saved_once(models.control_flow_module, "control_flow")
text_tower_case = _saved_once(models.text_tower_module, "text_tower")
masked_bigru_case = _saved_once(wasm_models.masked_bigru_model, "masked_bigru.keras")
disentangled_case = _saved_once(wasm_models.disentangled_attention_export, "disentangled")
nested_loops_case = _saved_once(models.nested_loops_module, "nested_loops")
bitcast_case = _saved_once(models.bitcast_module, "bitcast")
two_inputs_case = _saved_once(models.two_inputs_module, "two_inputs")
two_signatures_cases = _saved_once(models.two_signatures_module, "two_signatures")
keras3_export_case = _saved_once(models.keras3_conv_export, "keras3_export")
tf_keras_case = _saved_once(models.tf_keras_saved_model, "tf_keras")
wide_int_case = _saved_once(models.wide_int_module, "wide_int")
tf_keras_conv_bn_case = _saved_once(models.tf_keras_conv_batch_norm, "tf_keras_conv_bn")
keras3_lambda_case = _saved_once(models.keras3_lambda_model, "lambda.keras")
keras3_custom_case = _saved_once(models.keras3_custom_layer_model, "custom.keras")
tf_keras_lambda_case = _saved_once(models.tf_keras_lambda_h5, "lambda.h5")
tf_keras_op_lambda_case = _saved_once(models.tf_keras_op_lambda_h5, "op_lambda.h5")
keras3_attention_case = _saved_once(models.keras3_attention_model, "attention.keras")
keras3_recurrent_case = _saved_once(models.keras3_recurrent_model, "recurrent.keras")
keras3_grouped_conv_case = _saved_once(models.keras3_grouped_conv_model, "grouped.keras")
op_named_output_case = _saved_once(tf1_models.op_named_like_its_output_key, "op_named_output")
grappler_products_case = _saved_once(tf1_models.grappler_products, "grappler_products")
prelu_export_case = _saved_once(product_models.keras3_prelu_export, "prelu_export")
tf_keras_prelu_case = _saved_once(product_models.tf_keras_prelu, "tf_keras_prelu")
unary_chains_case = _saved_once(product_models.unary_chains_module, "unary_chains")
batch_norm_relu_case = _saved_once(product_models.batch_norm_relu_module, "batch_norm_relu")
audio_front_end_case = _saved_once(product_models.tf_keras_audio_front_end, "audio_front_end")
tf1_batch_norm_relu_case = _saved_once(product_models.tf1_batch_norm_relu, "tf1_batch_norm_relu")
channels_first_case = _saved_once(tf1_models.channels_first_net, "channels_first")
string_table_case = _saved_once(table_models.string_table_module, "string_table")
integer_table_case = _saved_once(table_models.integer_table_module, "integer_table")
keras_lookups_case = _saved_once(table_models.keras_lookups_export, "keras_lookups")
tf1_table_case = _saved_once(table_models.tf1_table, "tf1_table")
string_hashing_case = _saved_once(table_models.string_hashing_module, "string_hashing")
spectrogram_case = _saved_once(models.spectrogram_module, "spectrogram")
filter_readers_case = _saved_once(models.filter_readers_module, "filter_readers")
