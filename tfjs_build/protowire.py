"""Read protocol buffer messages field by field, with the standard library only.

Enough of the wire format to read a few small messages (``keras_metadata.pb``, a GraphDef's node
names) without importing TensorFlow or protobuf; damaged bytes raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterator

Field = tuple[int, int, "int | bytes"]
"""``(field number, wire type, value)``: an int for varints and fixed-width numbers, bytes for
length-delimited fields (strings, bytes, nested messages, packed repeats)."""

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint starting at ``at`` and the offset after it."""
    value = shift = 0
    while True:
        if at >= len(data):
            raise ValueError("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def fields(data: bytes) -> Iterator[Field]:
    """Every field of the message ``data``, in order."""
    at = 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        value: int | bytes
        if wire == VARINT:
            value, at = read_varint(data, at)
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if at + width > len(data):
                raise ValueError("truncated fixed-width field")
            value, at = int.from_bytes(data[at : at + width], "little"), at + width
        elif wire == LENGTH:
            size, at = read_varint(data, at)
            if at + size > len(data):
                raise ValueError(f"field {number} runs past the end of the message")
            value, at = data[at : at + size], at + size
        else:
            raise ValueError(f"unsupported wire type {wire} (field {number})")
        yield number, wire, value


def text(value: int | bytes, what: str) -> str:
    """A string field's value; ``ValueError`` naming ``what`` if it is not UTF-8 bytes."""
    if not isinstance(value, bytes):
        raise ValueError(f"{what} is not a string")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{what} is not UTF-8 text") from None


def leading_tags(data: bytes) -> Iterator[tuple[int, int]]:
    """``(field number, wire type)`` of the fields ``data`` (the head of a longer message, maybe)
    starts with, until it ends or a field runs past it; ``ValueError`` for bytes no message has."""
    at = 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if number == 0 or wire not in (VARINT, FIXED64, LENGTH, FIXED32):
            raise ValueError(f"field {number} has wire type {wire}")
        yield number, wire
        if wire == VARINT:
            _, at = read_varint(data, at)
        elif wire == LENGTH:
            size, at = read_varint(data, at)
            at += size
        else:
            at += 8 if wire == FIXED64 else 4
