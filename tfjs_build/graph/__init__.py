"""SavedModels, and Keras models TF.js layers cannot express, to TF.js graph models.

Imports TensorFlow lazily: importing this package is cheap.
"""

from __future__ import annotations

from tfjs_build.graph.convert import convert_keras_to_graph, convert_saved_model
from tfjs_build.graph.saved_model import list_signatures

__all__ = ["convert_keras_to_graph", "convert_saved_model", "list_signatures"]
