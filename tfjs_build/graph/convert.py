"""The entry points: a SavedModel signature or a Keras model file to a TF.js graph model."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tfjs_build.artifact.model import Artifact
from tfjs_build.backends import DEFAULT_TARGET_BACKENDS
from tfjs_build.graph.freeze import freeze_function
from tfjs_build.graph.keras_model import KerasFlavor, load_keras_model, trace_keras_model
from tfjs_build.graph.pipeline import ConversionReport, frozen_to_artifact
from tfjs_build.graph.saved_model import check_signature, load_checked_signature
from tfjs_build.graph.saved_model_reader import freeze_signature, read_checked_signature
from tfjs_build.options import Origin
from tfjs_build.tfjs_versions import PINNED


def release_memory() -> None:
    """Free what the loaded model held: TensorFlow objects hold each other in cycles, which only
    the cycle collector frees, and it might not run before the next phase has allocated more."""
    gc.collect()


def _tensorflow_version() -> str:
    import tensorflow as tf

    return f"TensorFlow {tf.__version__}"


def convert_saved_model(
    path: Path,
    *,
    signature: str = "serving_default",
    tags: Sequence[str] = ("serve",),
    backends: Sequence[str] = DEFAULT_TARGET_BACKENDS,
    check_ops: bool = True,
    report: ConversionReport | None = None,
    origin: Origin = "python",
    tfjs_version: str = PINNED,
    read_files: bool = True,
) -> Artifact:
    """Convert one signature of the SavedModel at ``path`` into a TF.js graph model.

    Inputs and outputs are named by the signature's keys. ``backends`` are the TF.js backends the
    model must run on: only fusions all of them execute are kept. ``check_ops=False`` writes the
    model even if TF.js lacks some of its ops. ``origin`` says where these options were set, so
    hints use its syntax. ``read_files=False`` always restores the SavedModel's objects with
    ``tf.saved_model.load`` (otherwise only what the signature's files cannot give alone).
    """
    path = Path(path)
    report = report if report is not None else ConversionReport()
    source = f"{path} (signature {signature!r})"
    with report.timed("load"):
        meta_graph = check_signature(path, signature, tags, origin)
        files = read_checked_signature(path, meta_graph, signature, source) if read_files else None
        del meta_graph
    frozen = None
    if files is not None:
        with report.timed("freeze"):
            frozen = freeze_signature(files)
            del files
    if frozen is None:
        with report.timed("load"):
            loaded = load_checked_signature(path, signature, tags)
        with report.timed("freeze"):
            frozen = freeze_function(loaded.function, source)
            del loaded  # its variables are constants now
            release_memory()
    return frozen_to_artifact(
        frozen,
        backends=backends,
        check_ops=check_ops,
        generated_by=_tensorflow_version(),
        report=report,
        origin=origin,
        tfjs_version=tfjs_version,
    )


def convert_keras_to_graph(
    path: Path,
    *,
    allow_unsafe_deserialization: bool = False,
    custom_objects: Mapping[str, Any] | None = None,
    imports: Sequence[str] = (),
    project_root: Path | None = None,
    backends: Sequence[str] = DEFAULT_TARGET_BACKENDS,
    check_ops: bool = True,
    report: ConversionReport | None = None,
    origin: Origin = "python",
    tfjs_version: str = PINNED,
) -> Artifact:
    """Convert a Keras ``.keras``/``.h5`` model (Keras 3 or tf_keras) into a TF.js graph model.

    For models TF.js layers cannot express (Lambda, custom layers, ...). The model is loaded in
    Keras and traced in inference mode; inputs are named after the input layers, outputs after the
    output layers. Lambda layers run code from the file when loaded, so they need
    ``allow_unsafe_deserialization=True``. ``imports`` are modules registering custom layers,
    imported first with ``project_root`` on ``sys.path``.
    """
    path = Path(path)
    report = report if report is not None else ConversionReport()

    def load() -> tuple[Any, KerasFlavor]:
        with report.timed("load"):
            return load_keras_model(
                path,
                allow_unsafe_deserialization=allow_unsafe_deserialization,
                custom_objects=custom_objects,
                origin=origin,
                imports=imports,
                project_root=project_root,
            )

    # only the converting frame holds the loaded model, so it goes once frozen
    return _loaded_to_graph(load, str(path), backends, check_ops, report, origin, tfjs_version)


def keras_model_to_graph(
    model: Any,
    flavor: KerasFlavor,
    source: str,
    *,
    backends: Sequence[str] = DEFAULT_TARGET_BACKENDS,
    check_ops: bool = True,
    report: ConversionReport | None = None,
    origin: Origin = "python",
    tfjs_version: str = PINNED,
) -> Artifact:
    """A Keras model in memory (``flavor``: which Keras built it; ``source`` names it in
    messages), traced in inference mode, frozen and converted to a TF.js graph model."""
    report = report if report is not None else ConversionReport()
    return _loaded_to_graph(
        lambda: (model, flavor), source, backends, check_ops, report, origin, tfjs_version
    )


def _loaded_to_graph(
    load: Callable[[], tuple[Any, KerasFlavor]],
    source: str,
    backends: Sequence[str],
    check_ops: bool,
    report: ConversionReport,
    origin: Origin,
    tfjs_version: str,
) -> Artifact:
    """The graph model of the Keras model ``load()`` gives, which this frame alone holds (the
    caller keeps no reference), so that it is released before Grappler."""
    model, flavor = load()
    with report.timed("freeze"):
        frozen = freeze_function(trace_keras_model(model, flavor, source), source)
        del model  # its variables are constants now
        release_memory()
    generated_by = f"{'Keras' if flavor == 'keras3' else 'tf_keras'} {_keras_version(flavor)}"
    return frozen_to_artifact(
        frozen,
        backends=backends,
        check_ops=check_ops,
        generated_by=generated_by,
        report=report,
        origin=origin,
        tfjs_version=tfjs_version,
    )


def _keras_version(flavor: str) -> str:
    if flavor == "keras3":
        import keras

        return str(keras.__version__)
    import tf_keras

    return str(tf_keras.__version__)
