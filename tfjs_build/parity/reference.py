"""The reference run: the SOURCE model executed in TensorFlow / Keras on the probe inputs.

Supported sources: Keras 3 ``.keras`` / ``.h5`` (``keras.saving.load_model``), Keras 2 ``.h5`` /
``.keras`` / SavedModel with ``keras_metadata.pb`` (``tf_keras``; told apart by the file's
``keras_version``) and TensorFlow SavedModel directories (through the signature the artifact was
made from). Loading is safe by default: Lambda bytecode is refused unless the user opts in
(Keras files load through :func:`tfjs_build.graph.keras_model.load_keras_model`, which checks the
configuration for Lambda layers before Keras sees it).
Outputs come back keyed by the names the artifact uses (see :mod:`tfjs_build.parity.model_io`).
TensorFlow and Keras are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tfjs_build._optional import import_tensorflow
from tfjs_build.artifact.format import output_keys
from tfjs_build.custom_code import imported_modules
from tfjs_build.errors import MissingDependencyError, SourceError, UnsupportedModelError
from tfjs_build.graph.keras_model import load_keras_model, read_keras_config
from tfjs_build.options import Origin, spell
from tfjs_build.sources import registry
from tfjs_build.sources.kind import ReferenceRequest

if TYPE_CHECKING:
    from tfjs_build.runtime.pool import RuntimePool

SourceKind = Literal["keras3", "tf_keras", "saved_model"]


@dataclass(frozen=True)
class ReferenceResult:
    """Reference outputs keyed by artifact output name, and what produced them (``model``: the
    loaded Keras model or SavedModel signature, kept for localizing a divergence)."""

    outputs: dict[str, np.ndarray]
    description: str
    model: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LoadedSignature:
    """A SavedModel signature's function and the loaded SavedModel that keeps its variables."""

    owner: Any
    function: Any


def source_kind(source: Path) -> SourceKind:
    """Which runtime the source needs: Keras 3, Keras 2 (``tf_keras``) or a plain SavedModel."""
    registry.identify_source(source)  # a source no kind claims is named here
    if Path(source).is_dir():
        return "saved_model"
    flavor, _ = read_keras_config(source)
    return flavor


def run_reference(
    source: Path,
    inputs: Mapping[str, np.ndarray],
    output_names: Sequence[str],
    *,
    graph: bool,
    signature: str = "serving_default",
    allow_unsafe_deserialization: bool = False,
    imports: Sequence[str] = (),
    project_root: Path | None = None,
    origin: Origin = "python",
    runtimes: RuntimePool | None = None,
) -> ReferenceResult:
    """Run ``source`` on ``inputs`` (keyed and ordered like the artifact's inputs), the way its
    kind says (see :class:`~tfjs_build.sources.kind.SourceKind`).

    ``graph`` says the artifact is a graph model: a SavedModel source then runs through
    ``signature``; a Keras source through the model itself. Outputs are matched to
    ``output_names`` by name when the source names them the same way, otherwise by position.
    ``imports`` (with ``project_root`` on ``sys.path``) are imported before a Keras source loads.
    """
    request = ReferenceRequest(
        Path(source),
        inputs,
        output_names,
        graph,
        signature,
        allow_unsafe_deserialization,
        imports,
        project_root,
        origin,
        runtimes,
    )
    return registry.source_kind(request.source).reference(request)


def signature_reference(request: ReferenceRequest) -> ReferenceResult:
    """A SavedModel's signature run in TensorFlow."""
    tf = import_tensorflow()
    function, outputs = _run_signature(tf, request.source, request.signature, request.inputs)
    return ReferenceResult(
        _match_outputs(request.source, outputs, request.output_names),
        f"saved_model:{request.signature}",
        function,
    )


def keras_reference(request: ReferenceRequest) -> ReferenceResult:
    """A Keras file loaded in the Keras that wrote it and called in inference mode."""
    import_tensorflow()
    with imported_modules(request.imports, request.project_root, request.origin):
        model, flavor = load_keras_model(
            request.source,
            allow_unsafe_deserialization=request.allow_unsafe_deserialization,
            origin=request.origin,
        )
    return _call_keras(request, model, "keras" if flavor == "keras3" else "tf_keras")


def keras_saved_model_reference(request: ReferenceRequest) -> ReferenceResult:
    """A Keras SavedModel: a graph artifact against its signature (what it was made from), a
    layers artifact against the model tf_keras loads back (Lambda code only with the opt-in)."""
    if request.graph:
        return signature_reference(request)
    import_tensorflow()
    with imported_modules(request.imports, request.project_root, request.origin):
        model = _load_tf_keras_saved_model(
            request.source, request.allow_unsafe_deserialization, request.origin
        )
    return _call_keras(request, model, "tf_keras")


def tfjs_reference(request: ReferenceRequest, directory: Path, backend: str) -> ReferenceResult:
    """A TF.js artifact (the source itself) run in TF.js on ``backend``, in the build's runtimes
    when it has them."""
    from tfjs_build.artifact.checks import check_shard_files
    from tfjs_build.artifact.files import read_model_json
    from tfjs_build.errors import RuntimeFailure
    from tfjs_build.runtime.pool import RuntimePool

    check_shard_files(directory, read_model_json(directory))
    with contextlib.ExitStack() as stack:
        runtimes = request.runtimes or stack.enter_context(RuntimePool())
        try:
            outputs = runtimes.get(backend).run(directory, request.inputs)
        except RuntimeFailure as exc:
            detail = " ".join(str(exc).split())[:300]
            raise SourceError(
                f"{request.source}: TF.js cannot run the source model ({detail})"
            ) from None
    return ReferenceResult(
        _match_outputs(request.source, outputs, request.output_names), f"tfjs:{backend}"
    )


def _call_keras(request: ReferenceRequest, model: Any, description: str) -> ReferenceResult:
    try:
        raw = model(_keras_inputs(model, request.inputs), training=False)
    except Exception as exc:  # TensorFlow raises many kinds for inputs a model rejects
        raise _failed_on_inputs(request.source, exc) from None
    named = _keras_outputs(model, raw)
    return ReferenceResult(
        _match_outputs(request.source, named, request.output_names), description, model
    )


def _run_signature(
    tf: Any, source: Path, signature: str, inputs: Mapping[str, np.ndarray]
) -> tuple[Any, dict[str, np.ndarray]]:
    try:
        loaded = tf.saved_model.load(str(source))
    except Exception as exc:
        raise SourceError(f"{source}: TensorFlow cannot load this SavedModel ({exc})") from None
    if signature not in loaded.signatures:
        known = ", ".join(sorted(loaded.signatures)) or "none"
        raise SourceError(
            f"{source}: no signature {signature!r} (signatures: {known}); pass the one the "
            "artifact was converted from"
        )
    function = loaded.signatures[signature]
    expected = function.structured_input_signature[1]
    missing = sorted(set(expected) - set(inputs))
    extra = sorted(set(inputs) - set(expected))
    if missing or extra:
        raise SourceError(
            f"{source}: signature {signature!r} takes inputs {', '.join(sorted(expected))} but the "
            f"artifact has {', '.join(inputs)}; was it converted from another signature?"
        )
    feeds = {
        name: tf.constant(np.asarray(value), dtype=expected[name].dtype)
        for name, value in inputs.items()
    }
    try:
        result = function(**feeds)
    except Exception as exc:  # e.g. InvalidArgumentError for an index out of range
        raise _failed_on_inputs(source, exc) from None
    outputs = {name: np.asarray(tensor) for name, tensor in result.items()}
    return LoadedSignature(loaded, function), outputs


def _load_tf_keras_saved_model(source: Path, allow_unsafe: bool, origin: Origin) -> Any:
    """A Keras 2 SavedModel (``keras_metadata.pb``) loaded by tf_keras; its Lambda layers (code
    that loading would run) refused unless the user opted in."""
    from tfjs_build.graph.keras_model import lambda_layers
    from tfjs_build.layers.keras_metadata import read_keras_metadata

    lambdas = lambda_layers(read_keras_metadata(source).model_config)
    if lambdas and not allow_unsafe:
        raise UnsupportedModelError(
            f"{source}: Lambda layer(s) {', '.join(repr(n) for n in lambdas)} hold Python code "
            "that loading would run; if you trust this model, check it with "
            f"{spell('allow_unsafe_deserialization', True, origin)}"
        )
    try:
        import tf_keras
    except ImportError:
        raise MissingDependencyError(
            f"{source}: this Keras 2 SavedModel needs tf_keras to run; pip install tf_keras"
        ) from None
    from tf_keras.src.saving import serialization_lib

    try:
        with serialization_lib.SafeModeScope(not allow_unsafe):
            return tf_keras.models.load_model(source, compile=False)
    except Exception as exc:  # Keras raises many kinds for models it cannot rebuild
        message = " ".join(str(exc).split())[:300]
        raise SourceError(f"{source}: tf_keras cannot load this SavedModel ({message})") from None


def keras_input_arrays(model: Any, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """Inputs in the model's own order: by name when the names match, else by position."""
    arrays = list(inputs.values())
    names = [_tensor_name(t) for t in getattr(model, "inputs", None) or []]
    if len(arrays) > 1 and sorted(names) == sorted(inputs):
        arrays = [inputs[name] for name in names]
    return arrays


def _keras_inputs(model: Any, inputs: Mapping[str, np.ndarray]) -> Any:
    """:func:`keras_input_arrays` packed into the input structure Keras 3 recorded (a list of
    one for a functional model made with ``inputs=[x]``, a dict, ...): Keras warns about any
    other structure."""
    arrays = keras_input_arrays(model, inputs)
    structure = getattr(model, "_inputs_struct", None)
    if structure is not None:
        import keras

        return keras.tree.pack_sequence_as(structure, arrays)
    return arrays if len(arrays) > 1 else arrays[0]


def _keras_outputs(model: Any, raw: Any) -> dict[str, np.ndarray]:
    """The call's result as named arrays, keeping order (names from the model where it has them,
    keyed like the artifact's outputs where they repeat)."""
    if isinstance(raw, Mapping):
        return {str(key): np.asarray(value) for key, value in raw.items()}
    values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    names = [str(name) for name in getattr(model, "output_names", None) or []]
    if len(names) != len(values):
        names = [f"output_{i}" for i in range(len(values))]
    return dict(zip(output_keys(names), map(np.asarray, values), strict=True))


def _match_outputs(
    source: Path, outputs: Mapping[str, np.ndarray], output_names: Sequence[str]
) -> dict[str, np.ndarray]:
    if set(outputs) == set(output_names):
        return {name: outputs[name] for name in output_names}
    if len(outputs) != len(output_names):
        raise SourceError(
            f"{source}: the source has {len(outputs)} output(s) ({', '.join(outputs)}) but the "
            f"artifact has {len(output_names)} ({', '.join(output_names)}); is it the right source?"
        )
    return dict(zip(output_names, outputs.values(), strict=True))


def _failed_on_inputs(source: Path, exc: Exception) -> SourceError:
    detail = " ".join(str(exc).split())[:300] or type(exc).__name__
    return SourceError(
        f"{source}: the source model failed on the parity inputs ({detail}); if the probes do "
        "not fit the model (value ranges, shapes), pass your own samples"
    )


def _tensor_name(tensor: Any) -> str:
    return str(getattr(tensor, "name", "")).split(":")[0]
