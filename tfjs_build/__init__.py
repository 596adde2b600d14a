"""tfjs-build: build TensorFlow.js artifacts from Keras and SavedModel sources.

The Python API (imported on first use, so ``import tfjs_build`` stays light)::

    import tfjs_build

    result = tfjs_build.convert(model, "web_model/classifier", quantization="float16")
    report = tfjs_build.verify("web_model/classifier", model)
    summary = tfjs_build.inspect("web_model/classifier")
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from tfjs_build._lazy import lazy_getattr

__version__ = "0.2.0"

if TYPE_CHECKING:
    from tfjs_build.api import convert, inspect, verify
    from tfjs_build.artifact.quantization_rules import ResolvedQuantization
    from tfjs_build.artifact.summary import ArtifactSummary
    from tfjs_build.errors import (
        ConfigError,
        ParityError,
        RejectedBuildError,
        SourceError,
        TfjsBuildError,
    )
    from tfjs_build.options import ConvertOptions, ParityOptions
    from tfjs_build.parity.report import ParityReport
    from tfjs_build.pipeline import BuildResult
    from tfjs_build.source_summary import SourceSummary

_EXPORTS = {
    "convert": "tfjs_build.api",
    "verify": "tfjs_build.api",
    "inspect": "tfjs_build.api",
    "BuildResult": "tfjs_build.pipeline",
    "ConvertOptions": "tfjs_build.options",
    "ParityOptions": "tfjs_build.options",
    "ParityReport": "tfjs_build.parity.report",
    "ArtifactSummary": "tfjs_build.artifact.summary",
    "SourceSummary": "tfjs_build.source_summary",
    "ResolvedQuantization": "tfjs_build.artifact.quantization_rules",
    "TfjsBuildError": "tfjs_build.errors",
    "ConfigError": "tfjs_build.errors",
    "SourceError": "tfjs_build.errors",
    "ParityError": "tfjs_build.errors",
    "RejectedBuildError": "tfjs_build.errors",
}

__all__ = [
    "ArtifactSummary",
    "BuildResult",
    "ConfigError",
    "ConvertOptions",
    "ParityError",
    "ParityOptions",
    "ParityReport",
    "RejectedBuildError",
    "ResolvedQuantization",
    "SourceError",
    "SourceSummary",
    "TfjsBuildError",
    "__version__",
    "convert",
    "inspect",
    "verify",
]

__getattr__ = lazy_getattr(__name__, _EXPORTS)


class _Package(types.ModuleType):
    """The package, whose API function ``convert`` shares its name with the submodule
    ``tfjs_build.convert``: importing that submodule must not replace the function (the import
    system sets each submodule as an attribute of its package; the submodule stays in
    ``sys.modules``, where ``from tfjs_build.convert import ...`` finds it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
