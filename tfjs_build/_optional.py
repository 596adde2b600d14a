"""Lazy access to the optional TensorFlow dependency, with an install hint when it is missing."""

from __future__ import annotations

import os
from types import ModuleType

from tfjs_build.errors import MissingDependencyError

TENSORFLOW_HINT = "pip install 'tfjs-build[tensorflow]'"


def import_tensorflow() -> ModuleType:
    """Import and return ``tensorflow``; raise a clear error saying what to install when absent."""
    # keep TensorFlow's C++ info logs out of builds
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise MissingDependencyError(
            f"this needs TensorFlow, which is not installed ({exc}); install it with: {TENSORFLOW_HINT}"
        ) from None
    return tf
