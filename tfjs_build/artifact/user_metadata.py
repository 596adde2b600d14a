"""``model.json``'s ``userDefinedMetadata`` as the options ask: structured outputs and user files.

TF.js 4.22's ``GraphModel.predict()`` returns ``{name: Tensor}`` when ``structuredOutputKeys`` is
there, else a Tensor for one output and an array of Tensors for several (as
``tensorflowjs_converter`` writes without ``--use_structured_outputs_names``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfjs_build.artifact.format import GRAPH_FORMAT
from tfjs_build.artifact.model import Artifact

if TYPE_CHECKING:
    from tfjs_build.options import AutoBool

STRUCTURED_OUTPUT_KEYS = "structuredOutputKeys"


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
