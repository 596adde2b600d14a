"""Parity for models with string inputs: probes from the model's table keys or a generated
vocabulary, named in the messages; user samples of str or bytes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests.graph import table_models
from tfjs_build.artifact import Artifact, write_artifact
from tfjs_build.parity import check_parity, make_probes
from tfjs_build.parity.vocabulary import GENERATED_WORDS


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("string-sources")
    table_models.string_table_module(root / "table")
    table_models.string_hashing_module(root / "hashing")
    return root


def _converted(source: Path, directory: Path) -> Artifact:
    from tfjs_build.graph import convert_saved_model

    artifact = convert_saved_model(source)
    write_artifact(artifact, directory)
    return artifact


def test_probes_draw_from_the_tables_keys_and_say_so(sources: Path, tmp_path: Path) -> None:
    _converted(sources / "table", tmp_path / "model")
    report = check_parity(tmp_path / "model", sources / "table")
    assert report.passed, report.summary()
    words = report.record["inputs"]["string_probes"]
    assert words.startswith("5 keys of the model's tables and 3 generated words ('bird', 'cat'")
    assert report.summary().splitlines()[0] == (
        f"string inputs were probed with {words}; for real text pass samples "
        "(parity_samples='words.npy': a .npy or .npz of str or bytes)"
    )
    from_cli = dataclasses.replace(report, origin="cli").string_probes_note()
    assert from_cli is not None and "(--parity-samples words.npy: a .npy" in from_cli
    from tfjs_build.artifact import read_model_json
    from tfjs_build.parity.vocabulary import string_vocabulary

    vocabulary = string_vocabulary(tmp_path / "model", read_model_json(tmp_path / "model"))
    probes = make_probes(
        read_model_json(tmp_path / "model"), batch=16, vocabulary=vocabulary.words
    )["word"].tolist()
    assert set(probes) <= set(vocabulary.words)
    assert len(set(probes) & set(vocabulary.words[: vocabulary.table_words])) >= 3


def test_without_tables_probes_use_the_generated_vocabulary(sources: Path, tmp_path: Path) -> None:
    _converted(sources / "hashing", tmp_path / "model")
    report = check_parity(tmp_path / "model", sources / "hashing", backends=("cpu",))
    assert report.passed, report.summary()
    assert report.record["inputs"]["string_probes"].startswith(
        f"a generated vocabulary of {len(GENERATED_WORDS)} words ('alpha', 'beta'"
    )


def test_a_failure_names_the_words_it_probed_with(sources: Path, tmp_path: Path) -> None:
    artifact = _converted(sources / "table", tmp_path / "good")
    artifact.weights = [
        (name, value + 1 if name.endswith("/values") else value) for name, value in artifact.weights
    ]
    write_artifact(artifact, tmp_path / "bad")
    report = check_parity(tmp_path / "bad", sources / "table", backends=("cpu",))
    message = report.failure_message()
    assert message is not None and "\n" not in message
    assert "for output ids" in message
    assert "(string inputs were probed with 5 keys of the model's tables" in message


@pytest.mark.parametrize("kind", ["U", "S"])
def test_samples_of_str_or_bytes_are_fed_to_both_sides(
    sources: Path, tmp_path: Path, kind: str
) -> None:
    _converted(sources / "table", tmp_path / "model")
    words = np.array(["cat", "héron", "nope", ""])
    samples = tmp_path / "words.npy"
    np.save(samples, words if kind == "U" else np.char.encode(words, "utf-8"))
    report = check_parity(tmp_path / "model", sources / "table", samples=samples)
    assert report.passed, report.summary()
    assert report.record["inputs"]["kind"] == "samples"
    ids = [o for o in report.record["backends"][0]["outputs"] if o["name"] == "ids"]
    assert ids and ids[0]["shape"] == [4]
