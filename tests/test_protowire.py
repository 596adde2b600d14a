"""The wire-format reader against messages protobuf itself serialized."""

from __future__ import annotations

import pytest

from tfjs_build.protowire import LENGTH, VARINT, fields, leading_tags, text


def test_fields_of_a_message_protobuf_wrote() -> None:
    from tensorflow.core.framework import graph_pb2

    graph = graph_pb2.GraphDef()
    graph.node.add(name="x", op="Placeholder")
    graph.node.add(name="y", op="Identity", input=["x"])
    graph.versions.producer = 1987
    data = graph.SerializeToString()
    top = list(fields(data))
    assert [(number, wire) for number, wire, _ in top] == [(1, LENGTH), (1, LENGTH), (4, LENGTH)]
    nodes = [value for _, _, value in top if isinstance(value, bytes)]
    names = [text(next(v for n, _, v in fields(node) if n == 1), "name") for node in nodes[:2]]
    assert names == ["x", "y"]
    assert list(fields(nodes[2])) == [(1, VARINT, 1987)]
    assert set(leading_tags(data[:5])) == {(1, LENGTH)}  # a head cut inside a field


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x0a\x05ab", "runs past the end"),
        (b"\x80", "truncated varint"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x00\x01", "field number 0"),
    ],
)
def test_damaged_bytes_are_value_errors(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        list(fields(data))


def test_text_needs_utf8() -> None:
    assert text(b"caf\xc3\xa9", "name") == "café"
    with pytest.raises(ValueError, match="name is not UTF-8 text"):
        text(b"\xff", "name")
