"""Keras 3 model configs rewritten into the Keras-2-style topology TF.js reads."""

from __future__ import annotations

import copy

from tfjs_build.layers.expand import apply_expansions
from tfjs_build.layers.topology import rewrite_model_config
from tfjs_build.layers.weights import snake_case

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}


def _tensor(layer: str, node: int = 0, index: int = 0) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 2], "dtype": "float32", "keras_history": [layer, node, index]},
    }


def _entry(class_name: str, name: str, config: dict, *nodes: dict) -> dict:
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "config": {"name": name, "trainable": True, "dtype": POLICY, **config},
        "registered_name": None,
        "build_config": {"input_shape": [None, 2]},
        "name": name,
        "inbound_nodes": list(nodes),
    }


def _input(name: str) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {"batch_shape": [None, 2], "dtype": "float32", "sparse": False, "name": name},
        "registered_name": None,
        "name": name,
        "inbound_nodes": [],
    }


def _inner_model() -> dict:
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "inner",
            "trainable": True,
            "layers": [
                _input("inner_in"),
                _entry(
                    "Dense",
                    "inner_dense",
                    {"units": 2},
                    {"args": [_tensor("inner_in")], "kwargs": {}},
                ),
            ],
            "input_layers": ["inner_in", 0, 0],
            "output_layers": ["inner_dense", 0, 0],
        },
        "registered_name": "Functional",
        "name": "inner",
        "inbound_nodes": [
            {"args": [_tensor("a")], "kwargs": {"mask": None}},
            {"args": [_tensor("b")], "kwargs": {"mask": None}},
        ],
    }


def _keras3_model() -> dict:
    add_node = {"args": [[_tensor("inner", 0), _tensor("inner", 1)]], "kwargs": {}}
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "outer",
            "trainable": True,
            "layers": [
                _input("a"),
                _input("b"),
                _inner_model(),
                _entry("Add", "add", {}, add_node),
                _entry(
                    "Dense",
                    "head",
                    {"units": 1, "activation": "silu"},
                    {"args": [_tensor("add")], "kwargs": {"training": False}},
                ),
            ],
            "input_layers": [["a", 0, 0], ["b", 0, 0]],
            "output_layers": {"head": ["head", 0, 0], "second": ["inner", 1, 0]},
        },
    }


def test_keras3_functional_model_becomes_keras2_style() -> None:
    topology, problems, _ = rewrite_model_config(_keras3_model(), keras_major=3)
    assert problems == []
    assert topology["class_name"] == "Model"
    config = topology["config"]
    a, _, inner, add, head = config["layers"]
    assert a == {
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": [None, 2],
            "dtype": "float32",
            "sparse": False,
            "name": "a",
        },
        "name": "a",
        "inbound_nodes": [],
    }
    # A nested model's call nodes count from 1 in TF.js: node 0 is its own input-to-output node.
    assert inner["inbound_nodes"] == [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]
    assert add["inbound_nodes"] == [[["inner", 1, 0, {}], ["inner", 2, 0, {}]]]
    assert head["inbound_nodes"] == [[["add", 0, 0, {}]]]
    assert head["config"]["activation"] == "swish"
    assert head["config"]["dtype"] == "float32"
    assert set(head) == {"class_name", "config", "name", "inbound_nodes"}
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["head", 0, 0], ["inner", 2, 0]]
    inner_config = inner["config"]
    assert inner_config["input_layers"] == [["inner_in", 0, 0]]
    assert inner_config["output_layers"] == [["inner_dense", 0, 0]]


def test_keras2_topology_passes_through_unchanged() -> None:
    topology, _, _ = rewrite_model_config(_keras3_model(), keras_major=3)
    again, problems, _ = rewrite_model_config(copy.deepcopy(topology), keras_major=2)
    assert problems == []
    assert again == topology


def test_sequential_built_without_input_layer_gets_one() -> None:
    model = {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}],
            "build_input_shape": [None, 5],
        },
    }
    topology, problems, _ = rewrite_model_config(model, keras_major=3)
    assert problems == []
    first = topology["config"]["layers"][0]
    assert first["class_name"] == "InputLayer"
    assert first["config"]["batch_input_shape"] == [None, 5]


def _bidirectional(backward_units: int) -> dict:
    def lstm(name: str, units: int, backwards: bool) -> dict:
        return {
            "class_name": "LSTM",
            "config": {"name": name, "units": units, "go_backwards": backwards, "dtype": POLICY},
        }

    return {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 3, 2], "name": "in"}},
                {
                    "class_name": "Bidirectional",
                    "config": {
                        "name": "bidi",
                        "merge_mode": "concat",
                        "layer": lstm("forward_lstm", 4, False),
                        "backward_layer": lstm("backward_lstm", backward_units, True),
                    },
                },
            ],
        },
    }


def test_bidirectional_forward_layer_takes_the_wrapped_name() -> None:
    topology, problems, _ = rewrite_model_config(_bidirectional(4), keras_major=3)
    assert problems == []
    inner = topology["config"]["layers"][1]["config"]["layer"]
    assert inner["config"]["name"] == "lstm"
    assert "backward_layer" not in topology["config"]["layers"][1]["config"]


def test_bidirectional_with_a_different_backward_layer_is_refused() -> None:
    _, problems, _ = rewrite_model_config(_bidirectional(3), keras_major=3)
    assert [(p.name, p.class_name) for p in problems] == [("bidi", "Bidirectional")]
    assert "custom backward_layer" in problems[0].reason


def test_subclassed_model_is_refused() -> None:
    _, problems, _ = rewrite_model_config(
        {"class_name": "Model", "config": {"name": "custom_model"}}, keras_major=3
    )
    assert [(p.name, p.class_name) for p in problems] == [("custom_model", "Model")]


def test_snake_case_matches_keras_object_paths() -> None:
    assert snake_case("BatchNormalization") == "batch_normalization"
    assert snake_case("Conv2DTranspose") == "conv2d_transpose"
    assert snake_case("LSTM") == "lstm"
    assert snake_case("SimpleRNN") == "simple_rnn"
    assert snake_case("PReLU") == "p_re_lu"
    assert snake_case("DepthwiseConv2D") == "depthwise_conv2d"


def test_keepdims_pooling_becomes_pooling_and_reshape() -> None:
    pool_node = {
        "args": [
            {
                "class_name": "__keras_tensor__",
                "config": {"shape": [None, 4, 4, 8], "keras_history": ["a", 0, 0]},
            }
        ],
        "kwargs": {},
    }
    model = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 4, 4, 8], "name": "a"},
                    "name": "a",
                    "inbound_nodes": [],
                },
                {
                    "class_name": "GlobalAveragePooling2D",
                    "config": {"name": "gap", "keepdims": True, "data_format": "channels_last"},
                    "name": "gap",
                    "inbound_nodes": [pool_node],
                },
            ],
            "input_layers": [["a", 0, 0]],
            "output_layers": [["gap", 0, 0]],
        },
    }
    rewritten = rewrite_model_config(model, keras_major=3)
    assert rewritten.problems == []
    topology, weights = apply_expansions(rewritten.topology, rewritten.expansions, [])
    assert weights == []
    _, pool, reshape = topology["config"]["layers"]
    assert pool["name"] == pool["config"]["name"] == "gap_pool"
    assert "keepdims" not in pool["config"]
    assert pool["inbound_nodes"] == [[["a", 0, 0, {}]]]
    assert reshape["class_name"] == "Reshape"
    assert reshape["config"]["target_shape"] == [1, 1, 8]
    assert reshape["name"] == "gap"
    assert reshape["inbound_nodes"] == [[["gap_pool", 0, 0, {}]]]
    assert topology["config"]["output_layers"] == [["gap", 0, 0]]


def test_a_tensor_returned_twice_gets_an_identity_layer_of_its_own() -> None:
    """TF.js layers models fail to predict when an output tensor repeats."""
    dense_node = {"args": [_tensor("a")], "kwargs": {}}
    model = {
        "class_name": "Functional",
        "config": {
            "name": "twice",
            "layers": [_input("a"), _entry("Dense", "d", {"units": 2}, dense_node)],
            "input_layers": [["a", 0, 0]],
            "output_layers": [["d", 0, 0], ["d", 0, 0], ["a", 0, 0]],
        },
    }
    topology, problems, _ = rewrite_model_config(model, keras_major=3)
    assert problems == []
    config = topology["config"]
    assert config["output_layers"] == [["d", 0, 0], ["d_output_1", 0, 0], ["a", 0, 0]]
    identity = config["layers"][-1]
    assert identity["class_name"] == "Activation"
    assert identity["config"]["activation"] == "linear"
    assert identity["inbound_nodes"] == [[["d", 0, 0, {}]]]
