"""tensorflowjs_converter 4.22's command line, as data.

Read from tensorflow/tfjs at tag tfjs-v4.22.0 (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7):
``tfjs-converter/python/tensorflowjs/converters/converter.py``, ``get_arg_parser()``, whose flag
names are the constants of ``tfjs-converter/python/tensorflowjs/converters/common.py``
(INPUT_FORMAT = 'input_format', ...; ``--output_node_names`` is written out in converter.py).
"""

POSITIONALS = ("input_path", "output_path")
FLAGS = (
    "--input_format",
    "--output_format",
    "--signature_name",
    "--saved_model_tags",
    "--quantize_float16",
    "--quantize_uint8",
    "--quantize_uint16",
    "--quantization_bytes",
    "--split_weights_by_layer",
    "--version",
    "-v",
    "--skip_op_check",
    "--strip_debug_ops",
    "--use_structured_outputs_names",
    "--weight_shard_size_bytes",
    "--output_node_names",
    "--control_flow_v2",
    "--experiments",
    "--metadata",
)
DEFAULTS = {
    "input_format": "tf_saved_model",
    "saved_model_tags": "serve",
    "weight_shard_size_bytes": 4 * 1024 * 1024,  # set in convert() when the flag is absent
}
INPUT_FORMATS = (
    "keras",
    "keras_saved_model",
    "keras_keras",
    "tf_saved_model",
    "tf_hub",
    "tfjs_layers_model",
    "tf_frozen_model",
)
OUTPUT_FORMATS = (
    "keras",
    "keras_saved_model",
    "tfjs_layers_model",
    "tfjs_graph_model",
    "keras_keras",
)
