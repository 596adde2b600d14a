"""tfjs-build: build TensorFlow.js artifacts from Keras and SavedModel sources."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
