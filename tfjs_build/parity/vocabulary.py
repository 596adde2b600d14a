"""Words to probe string inputs with: a model's own table keys, else a small generated vocabulary.

A text model looks its input up in tables; random strings would all miss and exercise nothing but
the default value. So when the artifact fills string-keyed tables (``modelInitializer``), probes
draw from their keys (evenly spaced, at most ``MAX_TABLE_WORDS``) plus a few generated words no
table holds; otherwise from ``GENERATED_WORDS``. Either way the parity messages name the words, so
a user whose model wants real text knows to pass samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.errors import ModelIOError
from tfjs_build.malformed import malformed_json

GENERATED_WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "", "wörd", "語")
"""The generated vocabulary: plain ASCII words, the empty string, and non-ASCII UTF-8."""
GENERATED_VOCABULARY = tuple(word.encode() for word in GENERATED_WORDS)
UNKNOWN_WORDS = ("alpha", "", "wörd")
"""Generated words added to table keys, so that lookups also miss."""
MAX_TABLE_WORDS = 16
SHOWN_WORDS = 8


@dataclass(frozen=True)
class Vocabulary:
    """The words string probes are drawn from, and where they come from."""

    words: tuple[bytes, ...]
    table_words: int = 0
    """How many of ``words`` are keys of the model's tables (they come first)."""

    def describe(self) -> str:
        """One phrase naming the words, e.g. ``5 table keys ('bird', 'cat', ...) and ...``."""
        shown = ", ".join(repr(w.decode(errors="replace")) for w in self.words[:SHOWN_WORDS])
        more = ", ..." if len(self.words) > SHOWN_WORDS else ""
        origin = (
            f"{self.table_words} keys of the model's tables and "
            f"{len(self.words) - self.table_words} generated words"
            if self.table_words
            else f"a generated vocabulary of {len(self.words)} words"
        )
        return f"{origin} ({shown}{more})"


def generated_vocabulary() -> Vocabulary:
    return Vocabulary(GENERATED_VOCABULARY)


def _string_key_weights(model_json: Mapping[str, Any]) -> list[str]:
    """Names of the weights holding string table keys in the artifact's ``modelInitializer``."""
    nodes = (model_json.get("modelInitializer") or {}).get("node", [])
    keys = {
        node["input"][1].split(":")[0]
        for node in nodes
        if node.get("op") in ("LookupTableImportV2", "LookupTableImport")
        and len(node.get("input", [])) > 1
    }
    string_weights = {
        entry["name"]
        for group in model_json.get("weightsManifest", [])
        for entry in group.get("weights", [])
        if entry.get("dtype") == "string"
    }
    return sorted(keys & string_weights)


def string_vocabulary(artifact_dir: Path, model_json: Mapping[str, Any]) -> Vocabulary:
    """The vocabulary for the string inputs of the artifact in ``artifact_dir``."""
    where = f"{Path(artifact_dir) / MODEL_JSON}: modelInitializer"
    with malformed_json(ModelIOError, where, "rebuild the artifact"):
        names = _string_key_weights(model_json)
    if not names:
        return generated_vocabulary()
    from tfjs_build.artifact.weights import read_weights

    weights = dict(read_weights(Path(artifact_dir), model_json["weightsManifest"]))
    keys = sorted({bytes(k) for name in names for k in weights[name].reshape(-1)})
    if len(keys) > MAX_TABLE_WORDS:
        step = len(keys) / MAX_TABLE_WORDS
        keys = [keys[int(i * step)] for i in range(MAX_TABLE_WORDS)]
    unknown = [w.encode() for w in UNKNOWN_WORDS if w.encode() not in keys]
    return Vocabulary(tuple(keys) + tuple(unknown), table_words=len(keys))
