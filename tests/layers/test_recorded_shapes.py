"""Input shapes as configs record them (Keras 3) or as their ranks follow from the inputs (Keras 2)."""

from __future__ import annotations

from tfjs_build.layers.recorded_shapes import RankTracker, output_rank, recorded_input_shapes


def _tensor(shape: list[int | None], layer: str = "x") -> dict[str, object]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "keras_history": [layer, 0, 0]},
    }


def test_keras3_entries_record_the_shapes_of_their_call_arguments() -> None:
    entry = {"inbound_nodes": [{"args": [[_tensor([None, 4, 3]), _tensor([None, 1, 3])]]}]}
    assert recorded_input_shapes(entry) == [(None, 4, 3), (None, 1, 3)]
    assert recorded_input_shapes({"build_config": {"input_shape": [None, 7]}}) == [(None, 7)]
    assert recorded_input_shapes({"inbound_nodes": [[["x", 0, 0, {}]]]}) is None


def test_output_ranks_follow_the_layer_classes() -> None:
    assert output_rank("Dense", {}, [3], 0) == 3
    assert output_rank("Flatten", {}, [4], 0) == 2
    assert output_rank("Reshape", {"target_shape": [2, 2, 2]}, [2], 0) == 4
    assert output_rank("Embedding", {}, [2], 0) == 3
    assert output_rank("GlobalAveragePooling2D", {"keepdims": True}, [4], 0) == 4
    assert output_rank("GlobalAveragePooling2D", {}, [4], 0) == 2
    assert output_rank("LSTM", {"return_sequences": True}, [3], 0) == 3
    assert output_rank("LSTM", {"return_sequences": True}, [3], 1) == 2  # a state
    assert output_rank("ConvLSTM2D", {}, [5], 0) == 4
    inner = {"class_name": "Flatten", "config": {}}
    assert output_rank("TimeDistributed", {"layer": inner}, [5], 0) == 3
    assert output_rank("Lambda", {}, [3], 0) is None
    assert output_rank("Add", {}, [3, None], 0) is None


def test_keras2_functional_models_track_ranks_from_their_inputs() -> None:
    tracker = RankTracker({"nested": [3]})
    tracker.add(
        {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [None, 4, 5, 3]}},
        [],
    )
    tracker.add({"class_name": "Conv2D", "config": {"name": "c"}}, [[["x", 0, 0, {}]]])
    tracker.add({"class_name": "Flatten", "config": {"name": "f"}}, [[["c", 0, 0, {}]]])
    tracker.add({"class_name": "Model", "config": {"name": "nested"}}, [[["f", 0, 0, {}]]])
    assert tracker.input_shapes([[["x", 0, 0, {}]]]) == [(None, 4, 5, 3)]  # an input: its shape
    assert tracker.input_shapes([[["c", 0, 0, {}]]]) == [(None, None, None, None)]
    assert tracker.rank(["f", 0, 0]) == 2
    assert tracker.rank(["nested", 1, 0]) == 3
    assert tracker.rank(["unknown", 0, 0]) is None
    assert tracker.rank(["c", 1, 0]) is None  # no second call
