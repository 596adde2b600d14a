"""Names and JSON shapes of a TF.js artifact, defined once.

A TF.js artifact is a directory holding ``model.json`` (topology plus weights manifest) and the
weight shards ``group1-shard{i}of{n}.bin``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, TypedDict

MODEL_JSON = "model.json"
PARITY_JSON = "parity.json"
PARITY_PROBE = "parity-probe.safetensors"
"""The parity check's inputs and reference outputs, which the report's live check replays."""
SIDE_FILES: tuple[str, ...] = (PARITY_JSON, PARITY_PROBE)
"""Files a build writes beside ``model.json`` and its shards."""
DEFAULT_SHARD_SIZE = 4 * 1024 * 1024
LAYERS_FORMAT: Final = "layers-model"
GRAPH_FORMAT: Final = "graph-model"

STRUCTURED_OUTPUT_KEYS = "structuredOutputKeys"
"""The ``userDefinedMetadata`` key that makes a graph model's predict() return named outputs."""
RESERVED_METADATA_KEYS: tuple[str, ...] = (STRUCTURED_OUTPUT_KEYS,)
"""``userDefinedMetadata`` keys tfjs-build writes itself (user metadata may not take them)."""

ModelFormat = Literal["layers-model", "graph-model"]
WeightDtype = Literal["float32", "int32", "bool", "string"]
QuantizationDtype = Literal["float16", "uint8", "uint16"]
QUANTIZATION_DTYPES: tuple[QuantizationDtype, ...] = ("float16", "uint8", "uint16")


def artifact_format(document: Mapping[str, Any]) -> ModelFormat:
    """A ``model.json``'s format: its ``format`` key, else (older files, other converters) graph
    when its topology is a GraphDef (has ``node``), layers otherwise. The one rule, shared with
    ``js/run_model.js``."""
    declared = document.get("format")
    if declared == LAYERS_FORMAT:
        return LAYERS_FORMAT
    if declared == GRAPH_FORMAT:
        return GRAPH_FORMAT
    topology = document.get("modelTopology")
    return GRAPH_FORMAT if isinstance(topology, Mapping) and "node" in topology else LAYERS_FORMAT


def output_keys(names: Sequence[str]) -> list[str]:
    """Keys for a model's outputs, in order: their names, or ``name.position`` where a name
    repeats (an LSTM's output and states all carry the layer's name)."""
    counts = Counter(names)
    return [name if counts[name] == 1 else f"{name}.{i}" for i, name in enumerate(names)]


def shard_name(index: int, count: int, group: int = 1) -> str:
    """File name of shard ``index`` (1-based) of ``count`` in weight group ``group``."""
    return f"group{group}-shard{index}of{count}.bin"


class _QuantizationRequired(TypedDict):
    dtype: QuantizationDtype


class Quantization(_QuantizationRequired, total=False):
    """``quantization`` of a manifest entry: affine ones carry ``min`` and ``scale``."""

    min: float
    scale: float
    original_dtype: str


class _WeightEntryRequired(TypedDict):
    name: str
    shape: list[int]
    dtype: str


class WeightEntry(_WeightEntryRequired, total=False):
    """One weight in a manifest group."""

    quantization: Quantization


class WeightGroup(TypedDict):
    """One group of the weights manifest: its shard files and the weights they hold, in order."""

    paths: list[str]
    weights: list[WeightEntry]


class _ModelJsonRequired(TypedDict):
    format: ModelFormat
    modelTopology: dict[str, Any]
    weightsManifest: list[WeightGroup]


class ModelJson(_ModelJsonRequired, total=False):
    """The ``model.json`` document as this project writes it."""

    generatedBy: str
    convertedBy: str
    signature: dict[str, Any]
    userDefinedMetadata: dict[str, Any]
    modelInitializer: dict[str, Any]
