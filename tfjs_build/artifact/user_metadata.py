"""``model.json``'s ``userDefinedMetadata`` as the options ask: structured outputs and user files.

``metadata`` puts each named JSON file's content under its name (``{"labels": [...]}``), as
``tensorflowjs_converter --metadata`` does; names tfjs-build writes itself are refused when the
option is read.

TF.js 4.22's ``GraphModel.predict()`` returns ``{name: Tensor}`` when ``structuredOutputKeys`` is
there, else a Tensor for one output and an array of Tensors for several (as
``tensorflowjs_converter`` writes without ``--use_structured_outputs_names``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfjs_build.artifact.format import GRAPH_FORMAT, STRUCTURED_OUTPUT_KEYS
from tfjs_build.artifact.model import Artifact
from tfjs_build.errors import ConfigError

if TYPE_CHECKING:
    from tfjs_build.options import AutoBool, Origin


def wants_structured_outputs(choice: AutoBool, output_count: int) -> bool:
    """Whether a graph model with ``output_count`` outputs gets ``structuredOutputKeys``:
    ``auto`` only for several outputs (one output then comes back as a Tensor)."""
    return output_count > 1 if choice == "auto" else bool(choice)


def set_structured_outputs(artifact: Artifact, choice: AutoBool) -> None:
    """Add or drop ``structuredOutputKeys`` (the signature's output keys, in order) of a graph
    model as ``choice`` says; a layers model is left alone (its predict() follows Keras)."""
    if artifact.format != GRAPH_FORMAT or artifact.signature is None:
        return
    keys = list(artifact.signature.get("outputs", {}))
    metadata = dict(artifact.user_metadata or {})
    if wants_structured_outputs(choice, len(keys)):
        metadata[STRUCTURED_OUTPUT_KEYS] = keys
    else:
        metadata.pop(STRUCTURED_OUTPUT_KEYS, None)
    artifact.user_metadata = metadata or None


def read_metadata_files(
    files: Sequence[tuple[str, Path]], root: Path, origin: Origin = "python"
) -> dict[str, object]:
    """The content of each ``(name, JSON file)`` by name; relative paths are under ``root``."""
    from tfjs_build.options import spell

    content: dict[str, object] = {}
    for name, path in files:
        where = spell("metadata", ((name, path),), origin)
        if name in content:
            raise ConfigError(f"{where}: metadata {name!r} is given twice; give each name once")
        file = root / path
        try:
            content[name] = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: {file} does not exist") from None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(f"{where}: {file} is not valid JSON ({exc})") from None
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read {file} ({exc.strerror or exc})") from None
    return content


def add_metadata(artifact: Artifact, content: dict[str, object]) -> None:
    """Put ``content`` (from :func:`read_metadata_files`) under ``userDefinedMetadata``."""
    if content:
        artifact.user_metadata = {**(artifact.user_metadata or {}), **content}
