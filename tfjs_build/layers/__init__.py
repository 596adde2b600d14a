"""Keras (``.keras``, Keras 2 and Keras 3 ``.h5``) to TF.js layers models, without TensorFlow."""

from __future__ import annotations

from tfjs_build.layers.convert import convert_keras_to_layers, find_unsupported_layers
from tfjs_build.layers.unsupported import UnsupportedLayer

__all__ = ["UnsupportedLayer", "convert_keras_to_layers", "find_unsupported_layers"]
