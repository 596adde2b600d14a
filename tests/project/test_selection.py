"""Choosing models: by name, and deterministic shards that cover every model exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfjs_build.errors import UsageError
from tfjs_build.project.config import ModelSpec
from tfjs_build.project.selection import Shard, in_shard, parse_shard, select_models


def specs(*names: str) -> list[ModelSpec]:
    return [ModelSpec(n, Path(f"models/{n}.keras"), Path(f"web_model/{n}")) for n in names]


@pytest.mark.parametrize(
    "text,shard", [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)), ("4/4", Shard(4, 4))]
)
def test_parse_shard(text, shard):
    assert parse_shard(text) == shard
    assert str(shard) == text


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "-1/2", ""])
def test_malformed_shards_say_what_is_expected(text):
    with pytest.raises(ValueError, match=r"expected I/N with 1 <= I <= N"):
        parse_shard(text)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 12])
def test_shards_cover_every_model_exactly_once_and_are_balanced(count):
    models = specs(*(f"m{i:02d}" for i in range(10)))[::-1]
    chosen = [[s.name for s in in_shard(models, Shard(i, count))] for i in range(1, count + 1)]
    flat = [name for shard in chosen for name in shard]
    assert sorted(flat) == sorted(s.name for s in models)
    assert len(flat) == len(set(flat)) == 10
    assert max(map(len, chosen)) - min(map(len, chosen)) <= 1


def test_shards_do_not_depend_on_configuration_order():
    forward = specs("a", "b", "c", "d", "e")
    assert [s.name for s in in_shard(forward, Shard(1, 2))] == ["a", "c", "e"]
    assert [s.name for s in in_shard(forward[::-1], Shard(1, 2))] == ["a", "c", "e"]
    assert [s.name for s in in_shard(forward, Shard(2, 2))] == ["b", "d"]


def test_select_by_name_then_shard_keeps_configuration_order():
    models = specs("dense", "conv", "scorer")
    assert [s.name for s in select_models(models)] == ["dense", "conv", "scorer"]
    assert [s.name for s in select_models(models, ["scorer", "dense"])] == ["dense", "scorer"]
    assert [s.name for s in select_models(models, (), Shard(1, 2))] == ["conv", "scorer"]


def test_an_unknown_model_name_suggests_the_closest():
    with pytest.raises(UsageError, match=r"^no model named 'scorr'; did you mean 'scorer'\?$"):
        select_models(specs("dense", "scorer"), ["scorr"])
    with pytest.raises(UsageError, match=r"^no model named 'x'; configured: dense, scorer$"):
        select_models(specs("dense", "scorer"), ["x"])
