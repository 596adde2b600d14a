"""Which layers expand and into what, and the ones no expansion can express, with reasons."""

from __future__ import annotations

from typing import Any

import pytest

from tfjs_build.layers.config_values import UnsupportedConfig
from tfjs_build.layers.expansion_rules import plan_expansion
from tfjs_build.layers.expansions import Source
from tfjs_build.layers.layer_call import LayerCall, op_node_args


def _classes(call: LayerCall) -> list[str]:
    expansion = plan_expansion(call)
    assert expansion is not None
    return [step.class_name for step in expansion.steps]


def _refused(call: LayerCall, words: str) -> None:
    with pytest.raises(UnsupportedConfig, match=words):
        plan_expansion(call)


def test_batch_normalization_along_the_last_axis_of_ranks_2_to_4_stays_as_it_is() -> None:
    for rank in (2, 3, 4):
        shape = (None,) * rank
        for axis in (-1, rank - 1):
            call = LayerCall("BatchNormalization", {"axis": axis}, 3, [shape])
            assert plan_expansion(call) is None
    assert plan_expansion(LayerCall("BatchNormalization", {"axis": [-1]}, 2)) is None


def test_batch_normalization_elsewhere_is_moved_to_the_last_axis_and_back() -> None:
    call = LayerCall("BatchNormalization", {"axis": 1}, 3, [(None, 4, 5, 3)])
    expansion = plan_expansion(call)
    assert expansion is not None
    permute, normalize, back = expansion.steps
    assert permute.config == back.config == {"dims": [3, 2, 1]}
    assert normalize.config["axis"] == -1
    rank5 = LayerCall("BatchNormalization", {"axis": 2}, 3, [(None, 2, 3, 4, 5)])
    assert _classes(rank5) == ["Permute", "Reshape", "BatchNormalization", "Reshape", "Permute"]
    renorm = LayerCall("BatchNormalization", {"axis": -1, "renorm": True}, 2, [(None, 4)])
    assert _classes(renorm) == ["BatchNormalization"]  # without the renormalization variables


def test_batch_normalizations_that_cannot_be_placed_are_refused() -> None:
    _refused(LayerCall("BatchNormalization", {"axis": [1]}, 2), "unrecorded rank")
    _refused(LayerCall("BatchNormalization", {"axis": -1}, 2, [(None,) * 5]), "rank-5 input")
    _refused(LayerCall("BatchNormalization", {"axis": [1, 2]}, 3), "one axis")


def test_operation_nodes_on_numbers_and_tensors() -> None:
    entry = {
        "class_name": "Add",
        "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {}}, 3.0]}],
    }
    args = op_node_args(entry)
    assert args == (Source(0), 3.0)
    expansion = plan_expansion(LayerCall("Add", {}, 3, args=args))
    assert expansion is not None
    assert [(s.class_name, s.config) for s in expansion.steps] == [
        ("Rescaling", {"scale": 1.0, "offset": 3.0})
    ]
    reversed_minus = plan_expansion(LayerCall("Subtract", {}, 3, args=(2.0, Source(0))))
    assert reversed_minus is not None
    assert reversed_minus.steps[0].config == {"scale": -1.0, "offset": 2.0}
    assert _classes(LayerCall("Subtract", {}, 3, args=(Source(0), Source(1)))) == [
        "Rescaling",
        "Add",
    ]
    _refused(LayerCall("Multiply", {}, 3, args=(Source(0), [1.0, 2.0])), "only a number")
    assert plan_expansion(LayerCall("Divide", {}, 3, args=(Source(0), 2.0))) is None  # unknown
    # a layer (one positional argument) is no operation node, in .h5 files without modules
    assert op_node_args({"inbound_nodes": [{"args": [[{}, {}]]}]}) is None


def test_hard_activations_expand_in_keras3_only() -> None:
    silu = LayerCall("Dense", {"units": 2, "activation": "hard_silu"}, 3)
    assert _classes(silu) == ["Dense", "Rescaling", "ReLU", "Rescaling", "Multiply"]
    assert plan_expansion(LayerCall("Dense", {"activation": "hard_sigmoid"}, 2)) is None
    _refused(LayerCall("SimpleRNN", {"activation": "hard_silu", "cell": {}}, 3), "recurrent cell")


def test_channel_layers_and_convolutions() -> None:
    channels: dict[str, Any] = {"axis": -1}
    assert _classes(LayerCall("Normalization", channels, 3, [(None, 3)])) == ["BatchNormalization"]
    _refused(LayerCall("Normalization", {"axis": 1, "mean": 0.5}, 3, [(None, 3, 4)]), "last axis")
    _refused(
        LayerCall("Normalization", {"axis": -1, "mean": 0.5, "variance": 1.0}, 2),
        "unrecorded channel count",
    )
    grouped = {"filters": 6, "groups": 3, "kernel_size": [3, 3]}
    assert _classes(LayerCall("Conv2D", grouped, 3, [(None, 5, 5, 3)])) == ["DepthwiseConv2D"]
    _refused(LayerCall("Conv2D", grouped, 3, [(None, 5, 5, 6)]), "groups=3 on 6 input channels")
    causal = {"padding": "causal", "kernel_size": [3], "strides": [2]}
    _refused(LayerCall("Conv1D", causal, 3), "strides > 1")


def test_a_users_class_named_like_a_keras_applications_one_is_not_taken_for_it() -> None:
    convnext = {"name": "s", "trainable": True, "init_values": 0.1, "projection_dim": 3}
    assert _classes(LayerCall("LayerScale", convnext, 3, [(None, 3)])) == ["BatchNormalization"]
    mine = {"name": "s", "trainable": True, "factor": 2.0}
    assert plan_expansion(LayerCall("LayerScale", mine, 3, [(None, 3)])) is None


def test_sequence_padding_and_cropping_are_their_2d_layers_on_one_column() -> None:
    padding = plan_expansion(LayerCall("ZeroPadding1D", {"padding": [1, 2]}, 3, [(None, 9, 4)]))
    assert padding is not None
    column, pad, sequence = padding.steps
    assert column.config == {"target_shape": [9, 1, 4]}
    assert pad.class_name == "ZeroPadding2D"
    assert pad.config["padding"] == [[1, 2], [0, 0]]
    assert sequence.config == {"target_shape": [12, 4]}
    cropping = plan_expansion(LayerCall("Cropping1D", {"cropping": 3}, 2, [(None, 9, 4)]))
    assert cropping is not None
    assert cropping.steps[1].config["cropping"] == [[3, 3], [0, 0]]
    assert cropping.steps[2].config == {"target_shape": [3, 4]}


def test_sequence_padding_needs_the_recorded_steps_and_channels() -> None:
    _refused(
        LayerCall("Cropping1D", {"cropping": 1}, 2, [(None, None, None)]),
        r"does not record its input's steps and channels \(TF.js has no Cropping1D",
    )
    _refused(
        LayerCall("ZeroPadding1D", {"padding": 1, "data_format": "channels_first"}, 3, None),
        "data_format='channels_first'",
    )
