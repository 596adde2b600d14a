"""The Python API: convert, check and describe models from a script or a notebook.

``tfjs_build.convert(model, "web_model/classifier")`` takes a model file or SavedModel directory,
or a model in memory (a Keras 3 or tf_keras model, a ``tf.Module`` or a ``tf.function`` with an
input signature), and runs the same pipeline as ``tfjs-build convert``, parity check included.
Options are the configuration keys of ``[tool.tfjs-build]`` as keywords
(``quantization="uint8"``, ``parity_backends=["cpu"]``). Nothing is printed; problems raise
:class:`~tfjs_build.errors.TfjsBuildError` subclasses with a one-line message.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfjs_build.errors import SourceError
from tfjs_build.options import checked_model_options

if TYPE_CHECKING:
    from tfjs_build.artifact.summary import ArtifactSummary
    from tfjs_build.parity.report import ParityReport
    from tfjs_build.pipeline import BuildResult
    from tfjs_build.source_summary import SourceSummary

PathLike = str | os.PathLike[str]
"""A file system path."""


def convert(model_or_path: PathLike | Any, output_dir: PathLike, **options: Any) -> BuildResult:
    """Convert a model into a TF.js artifact in ``output_dir``, check it and publish it.

    Args:
        model_or_path: a ``.keras``/``.h5`` file or a SavedModel directory; or a model in memory:
            a Keras 3 or tf_keras model (saved to a temporary ``.keras``/``.h5`` file, or a
            SavedModel for a subclassed tf_keras model), a ``tf.Module`` whose ``tf.function``
            has an input signature, or such a ``tf.function`` (saved as a SavedModel).
        output_dir: the artifact directory; a previous artifact there is replaced atomically,
            and only once the new one passed its parity check.
        **options: configuration keys of ``[tool.tfjs-build]``, such as ``format="graph"``,
            ``quantization={"uint8": ["*/kernel"], "float16": ["*"]}``,
            ``structured_outputs=False``, ``metadata={"labels": "labels.json"}``,
            ``parity_backends=["cpu"]`` or ``parity=False`` (parity is on by default).

    Returns:
        What was published: its files, format (and why), size, parity record and warnings.

    Raises:
        ConfigError: an unknown option (the message suggests the closest name) or a bad value.
        SourceError: a model that cannot be read or saved.
        RejectedBuildError: the artifact failed its parity check; nothing was published.
        TfjsBuildError: any other problem, with a message that says what to do.
    """
    from tfjs_build.pipeline import build
    from tfjs_build.verification import parity_verifier, skipped_verifier

    convert_options, parity = checked_model_options(options, "python", "convert()")
    with saved_model_source(model_or_path) as source:
        verify = (
            parity_verifier(parity, convert_options)
            if parity.parity
            else skipped_verifier("parity=False in Python")
        )
        return build(source, Path(output_dir), convert_options, verify=verify)


def verify(artifact_dir: PathLike, model_or_path: PathLike | Any, **options: Any) -> ParityReport:
    """Run ``artifact_dir`` (any converter's artifact) in TF.js and its source in TensorFlow on the
    same inputs, and compare every output.

    Args:
        artifact_dir: a TF.js artifact directory (``model.json`` and shards).
        model_or_path: its source, as for :func:`convert` (a path or a model in memory).
        **options: the parity keys (``parity_backends``, ``parity_seed``, ``parity_samples``,
            ``parity_atol``, ``parity_rtol``, ``parity_scale_tol``) and ``signature``,
            ``allow_unsafe_deserialization``, ``imports``.

    Returns:
        The report: ``passed``, ``summary()``, the JSON-ready ``record``; call
        ``raise_for_failure()`` to turn a mismatch into a ``ParityError``.
    """
    from tfjs_build.verification import verify_artifact

    convert_options, parity = checked_model_options(options, "python", "verify()")
    with saved_model_source(model_or_path) as source:
        return verify_artifact(Path(artifact_dir), source, convert_options, parity)


def inspect(path: PathLike) -> ArtifactSummary | SourceSummary:
    """Describe a TF.js artifact directory, or a Keras file or SavedModel directory before
    converting it (as ``tfjs-build inspect``): inputs, outputs, layers or ops, weights.

    Returns:
        An ``ArtifactSummary`` for an artifact, a ``SourceSummary`` for a source; both have
        ``to_json()``.
    """
    path = Path(path)
    if path.is_file() or (not (path / "model.json").exists() and path.is_dir()):
        from tfjs_build.source_summary import summarize_source

        return summarize_source(path, origin="python")
    from tfjs_build.artifact.summary import summarize_artifact

    return summarize_artifact(path)


@contextlib.contextmanager
def saved_model_source(model_or_path: PathLike | Any) -> Iterator[Path]:
    """The path of ``model_or_path``: itself for a path, else the model saved into a temporary
    directory that is removed afterwards."""
    if isinstance(model_or_path, (str, os.PathLike)):
        yield Path(model_or_path)
        return
    with tempfile.TemporaryDirectory(prefix="tfjs-build-model-") as scratch:
        yield save_in_memory_model(model_or_path, Path(scratch))


def save_in_memory_model(model: Any, directory: Path) -> Path:
    """Save an in-memory model into ``directory`` as a file the pipeline reads; its path."""
    keras = sys.modules.get("keras")
    tf_keras = sys.modules.get("tf_keras")
    if tf_keras is not None and isinstance(model, tf_keras.Model):
        return _save_tf_keras(model, directory)
    if keras is not None and isinstance(model, keras.Model):
        target = directory / "model.keras"
        _saving(lambda: model.save(target), model, ".keras")
        return target
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(model, tf.Module):
        target = directory / "saved_model"
        _saving(lambda: tf.saved_model.save(model, str(target)), model, "a SavedModel")
        return target
    if tf is not None and hasattr(model, "get_concrete_function"):
        return _save_tf_function(tf, model, directory / "saved_model")
    raise SourceError(
        f"cannot convert a {type(model).__module__}.{type(model).__qualname__}: give a path to a "
        ".keras/.h5 file or SavedModel directory, a Keras 3 or tf_keras model, a tf.Module or a "
        "tf.function with an input signature"
    )


def _save_tf_keras(model: Any, directory: Path) -> Path:
    import warnings

    target = directory / "model.h5"
    try:
        with warnings.catch_warnings():  # "HDF5 is legacy": the format is ours to choose here
            warnings.simplefilter("ignore", UserWarning)
            model.save(target)
        return target
    except (NotImplementedError, ValueError):  # a subclassed model has no HDF5 form
        target.unlink(missing_ok=True)
    saved = directory / "saved_model"
    _saving(lambda: model.save(saved, save_format="tf"), model, "a SavedModel")
    return saved


def _save_tf_function(tf: Any, function: Any, target: Path) -> Path:
    if not getattr(function, "input_signature", None):
        raise SourceError(
            "a tf.function to convert needs an input_signature "
            "(@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)]))"
        )
    holder = tf.Module()
    holder.function = function
    # the variables it captures are saved once something tracks them
    holder.captured = list(function.get_concrete_function().variables)
    _saving(
        lambda: tf.saved_model.save(holder, str(target), signatures={"serving_default": function}),
        function,
        "a SavedModel",
    )
    return target


def _saving(save: Any, model: Any, form: str) -> None:
    try:
        save()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(
            f"cannot save the {type(model).__qualname__} in memory as {form} ({first}); save it "
            "yourself and pass the path"
        ) from None
