"""Small TF.js artifacts written by hand (topology dicts + numpy weights) for runtime tests."""

from __future__ import annotations

import numpy as np

from tfjs_build.artifact import Artifact


def dense_layers_model(kernel: np.ndarray, bias: np.ndarray, activation: str = "tanh") -> Artifact:
    """A functional Keras-2-style model: input -> Dense(activation)."""
    units = kernel.shape[1]
    model_config = {
        "class_name": "Functional",
        "config": {
            "name": "handmade",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "features",
                    "inbound_nodes": [],
                    "config": {
                        "name": "features",
                        "batch_input_shape": [None, kernel.shape[0]],
                        "dtype": "float32",
                        "sparse": False,
                    },
                },
                {
                    "class_name": "Dense",
                    "name": "dense",
                    "inbound_nodes": [[["features", 0, 0, {}]]],
                    "config": {
                        "name": "dense",
                        "units": units,
                        "activation": activation,
                        "use_bias": True,
                        "dtype": "float32",
                    },
                },
            ],
            "input_layers": [["features", 0, 0]],
            "output_layers": [["dense", 0, 0]],
        },
    }
    topology = {
        "class_name": "Functional",
        "config": model_config["config"],
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }
    return Artifact(
        "layers-model",
        {"model_config": model_config, **{k: topology[k] for k in ("keras_version", "backend")}},
        [("dense/kernel", kernel), ("dense/bias", bias)],
    )


def _shape(*dims: int) -> dict:
    return {"dim": [{"size": str(d)} for d in dims]}


def _const(name: str, dtype: str, *dims: int) -> dict:
    return {
        "name": name,
        "op": "Const",
        "attr": {
            "dtype": {"type": dtype},
            "value": {"tensor": {"dtype": dtype, "tensorShape": _shape(*dims)}},
        },
    }


def relu_graph_model(kernel: np.ndarray, bias: np.ndarray) -> Artifact:
    """A graph model computing ``relu(x @ kernel + bias)`` with a named signature."""
    n_in, n_out = kernel.shape
    float_t = {"type": "DT_FLOAT"}
    nodes = [
        {
            "name": "x",
            "op": "Placeholder",
            "attr": {"dtype": float_t, "shape": {"shape": _shape(-1, n_in)}},
        },
        _const("W", "DT_FLOAT", n_in, n_out),
        _const("b", "DT_FLOAT", n_out),
        {
            "name": "mm",
            "op": "MatMul",
            "input": ["x", "W"],
            "attr": {"T": float_t, "transpose_a": {"b": False}, "transpose_b": {"b": False}},
        },
        {"name": "add", "op": "BiasAdd", "input": ["mm", "b"], "attr": {"T": float_t}},
        {"name": "y", "op": "Relu", "input": ["add"], "attr": {"T": float_t}},
    ]
    signature = {
        "inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": _shape(-1, n_in)}},
        "outputs": {
            "scores": {"name": "y:0", "dtype": "DT_FLOAT", "tensorShape": _shape(-1, n_out)}
        },
    }
    return Artifact(
        "graph-model",
        {"node": nodes, "library": {}, "versions": {"producer": 1}},
        [("W", kernel), ("b", bias)],
        signature=signature,
    )


def string_graph_model(values: np.ndarray) -> Artifact:
    """A graph model whose output is a constant string tensor (exercises TF.js's string encoding)."""
    nodes = [
        {
            "name": "x",
            "op": "Placeholder",
            "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": _shape(-1)}},
        },
        _const("words", "DT_STRING", *values.shape),
        {"name": "out", "op": "Identity", "input": ["words"], "attr": {"T": {"type": "DT_STRING"}}},
    ]
    signature = {
        "inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": _shape(-1)}},
        "outputs": {
            "words": {"name": "out:0", "dtype": "DT_STRING", "tensorShape": _shape(*values.shape)}
        },
    }
    return Artifact(
        "graph-model",
        {"node": nodes, "library": {}, "versions": {"producer": 1}},
        [("words", values)],
        signature=signature,
    )


def string_echo_graph_model() -> Artifact:
    """A graph model returning its string input ``text`` as ``echo``."""
    string_t = {"type": "DT_STRING"}
    nodes = [
        {"name": "text", "op": "Placeholder", "attr": {"dtype": string_t}},
        {"name": "echo", "op": "Identity", "input": ["text"], "attr": {"T": string_t}},
    ]
    info = {"dtype": "DT_STRING", "tensorShape": {"unknownRank": True}}
    signature = {
        "inputs": {"text": {"name": "text:0", **info}},
        "outputs": {"echo": {"name": "echo:0", **info}},
    }
    return Artifact(
        "graph-model",
        {"node": nodes, "library": {}, "versions": {"producer": 1}},
        [],
        signature=signature,
    )


def positive_as_float_graph_model() -> Artifact:
    """A graph model returning ``cast(x > 0, float32)``: TF.js's cpu backend relabels the booleans
    as float32 and keeps their one-byte storage."""
    float_t, bool_t = {"type": "DT_FLOAT"}, {"type": "DT_BOOL"}
    nodes = [
        {
            "name": "x",
            "op": "Placeholder",
            "attr": {"dtype": float_t, "shape": {"shape": _shape(-1)}},
        },
        _const("zero", "DT_FLOAT"),
        {"name": "positive", "op": "Greater", "input": ["x", "zero"], "attr": {"T": float_t}},
        {
            "name": "out",
            "op": "Cast",
            "input": ["positive"],
            "attr": {"SrcT": bool_t, "DstT": float_t, "Truncate": {"b": False}},
        },
    ]
    signature = {
        "inputs": {"x": {"name": "x:0", "dtype": "DT_FLOAT", "tensorShape": _shape(-1)}},
        "outputs": {"positive": {"name": "out:0", "dtype": "DT_FLOAT", "tensorShape": _shape(-1)}},
    }
    return Artifact(
        "graph-model",
        {"node": nodes, "library": {}, "versions": {"producer": 1}},
        [("zero", np.zeros((), np.float32))],
        signature=signature,
    )
