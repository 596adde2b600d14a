"""Say why Keras could not load a model file, in one line naming what to fix.

Keras reports weights that do not fit the model in several wordings (by Keras version and file
format); each becomes the line the layers converter gives for the same file, naming the layer and
the weight. Only a class Keras does not know gets the hint about registering custom layers.
"""

from __future__ import annotations

import re
from pathlib import Path

from tfjs_build.errors import SourceError

_MISMATCH = "the weights do not match the model (re-save it with Keras)"
_SHAPES = (
    # Keras 3, HDF5 files
    r"Shape mismatch in layer #\d+ \(named (?P<layer>[^)]+)\)\s*for weight (?P<weight>\S+?)\. "
    r"Weight expects shape (?P<want>\([^)]*\))\. Received saved weight with shape (?P<got>\([^)]*\))",
    # Keras 3, .keras files
    r"object <\w+ name=(?P<layer>[^,>]+).*?variable\.shape=(?P<want>\([^)]*\)), "
    r"Received: value\.shape=(?P<got>\([^)]*\))\. Target variable: <\w+ path=(?P<weight>[^,\s>]+)",
    # tf_keras
    r"Cannot assign value to variable '\s*(?P<weight>(?P<layer>[^']+)/[^'/:]+)(?::\d+)?': Shape "
    r"mismatch\.\s*The variable shape (?P<want>\([^)]*\)), and the assigned value shape "
    r"(?P<got>\([^)]*\))",
)
_COUNTS = (
    r"Layer '(?P<layer>[^']+)' expected (?P<want>\d+) variables, but received (?P<got>\d+) "
    r"variables during loading\. Expected: \[(?P<names>[^\]]*)\]",
    r"the new layer (?P<layer>\S+) expects (?P<want>\d+) weights, but the saved weights have "
    r"(?P<got>\d+) elements",
)
_UNKNOWN_CLASS = re.compile(
    r"Could not (locate|deserialize)|could not be deserialized|Unknown (layer|object|class)",
    re.IGNORECASE,
)


def keras_load_error(path: Path, exc: BaseException, custom_code_hint: str) -> SourceError:
    """The ``SourceError`` for Keras failing to load ``path`` with ``exc``; a class Keras does
    not know gets ``custom_code_hint`` (how to import the module that registers it)."""
    text = str(exc)
    for pattern in _SHAPES:
        found = re.search(pattern, text, re.DOTALL)
        if found:
            return SourceError(
                f"{path}: layer {found['layer']}: weight {found['weight']} has shape "
                f"{found['got']} in the file, but the layer's config needs {found['want']}; "
                f"{_MISMATCH}"
            )
    for pattern in _COUNTS:
        found = re.search(pattern, text, re.DOTALL)
        if found:
            names = found.groupdict().get("names")
            needed = f" ({names.replace(chr(39), '')})" if names else ""
            return SourceError(
                f"{path}: layer {found['layer']} has {found['got']} weights in the file, but its "
                f"config needs {found['want']}{needed}; {_MISMATCH}"
            )
    first_line = (text.strip().splitlines() or [type(exc).__name__])[0]
    if _UNKNOWN_CLASS.search(text):
        return SourceError(
            f"{path}: Keras cannot load this model: {first_line}; if it has custom layers, have "
            "the module registering them (keras.saving.register_keras_serializable) imported "
            f"first with {custom_code_hint}"
        )
    return SourceError(f"{path}: Keras cannot load this model: {first_line}")
