"""What a layers model cannot carry: the record of one offending layer and the error listing them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tfjs_build.errors import UnsupportedModelError
from tfjs_build.options import Origin, spell


@dataclass(frozen=True)
class UnsupportedLayer:
    """A layer TF.js layers cannot express as Keras computes it.

    ``name`` is the layer's path in the model (``outer/inner`` for a layer of a nested model).
    """

    name: str
    class_name: str
    reason: str

    def describe(self) -> str:
        """``name (Class): reason``."""
        return f"{self.name} ({self.class_name}): {self.reason}"


def unsupported_model_error(
    path: Path, layers: Sequence[UnsupportedLayer], origin: Origin = "python"
) -> UnsupportedModelError:
    """One error naming every offending layer and the way out (a graph model, said in the syntax
    of ``origin``)."""
    listing = "; ".join(layer.describe() for layer in layers)
    return UnsupportedModelError(
        f"{path}: TF.js layers models cannot express {len(layers)} layer(s): {listing}. "
        f"Convert it to a graph model instead ({spell('format', 'graph', origin)}, or "
        f"{spell('format', 'auto', origin)} to choose)."
    )
