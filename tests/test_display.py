from __future__ import annotations

import pytest

from tfjs_build.display import human_bytes, parse_size


@pytest.mark.parametrize(
    "count,text",
    [
        (0, "0 B"),
        (999, "999 B"),
        (1500, "1.5 kB"),
        (104_857_600, "104.9 MB"),
        (3 * 10**12, "3000.0 GB"),
    ],
)
def test_human_bytes(count, text):
    assert human_bytes(count) == text


@pytest.mark.parametrize(
    "text,count",
    [
        ("2GB", 2 * 10**9),
        ("500 MB", 500 * 10**6),
        ("64kB", 64_000),
        ("1.5GiB", 3 * 2**29),
        ("100", 100),
        (7, 7),
    ],
)
def test_parse_size(text, count):
    assert parse_size(text) == count


@pytest.mark.parametrize("text", ["", "x", "2XB", "-1MB", -5, True, 1.5])
def test_parse_size_rejects_what_is_not_a_size(text):
    with pytest.raises(ValueError):
        parse_size(text)
