"""Load a Keras model file (Keras 3 or tf_keras, ``.keras`` or HDF5) and trace it to a function.

Before anything is loaded the file's configuration is read as plain JSON: a ``Lambda`` layer holds
Python code that loading would run, so it needs the caller's explicit opt-in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from tfjs_build._optional import import_tensorflow
from tfjs_build.artifact.format import output_keys
from tfjs_build.custom_code import imported_modules, imports_hint
from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.keras_load_errors import keras_load_error
from tfjs_build.graph.keras_repair import load_repaired_h5, repair_config
from tfjs_build.options import Origin, spell
from tfjs_build.sources.sniff import keras_file_kind

KerasFlavor = Literal["keras3", "tf_keras"]


def read_keras_config(path: Path) -> tuple[KerasFlavor, dict[str, Any]]:
    """Which Keras wrote ``path`` and its model configuration, read without importing Keras."""
    from tfjs_build.layers.source import open_keras_model

    with open_keras_model(path, with_weights=False) as model:
        flavor: KerasFlavor = "keras3" if model.keras_major >= 3 else "tf_keras"
        return flavor, model.model_config


def _layers(config: Any) -> Iterator[dict[str, Any]]:
    if isinstance(config, dict):
        if "class_name" in config and isinstance(config.get("config"), dict):
            yield config
        for value in config.values():
            yield from _layers(value)
    elif isinstance(config, list):
        for value in config:
            yield from _layers(value)


def lambda_layers(config: dict[str, Any]) -> list[str]:
    """Names of the Lambda layers anywhere in a model configuration."""
    return [
        layer["config"].get("name", "?")
        for layer in _layers(config)
        if layer["class_name"] == "Lambda"
    ]


def load_keras_model(
    path: Path,
    *,
    allow_unsafe_deserialization: bool = False,
    custom_objects: Mapping[str, Any] | None = None,
    origin: Origin = "python",
    imports: Sequence[str] = (),
    project_root: Path | None = None,
) -> tuple[Any, KerasFlavor]:
    """Load the model with the Keras that wrote it; Lambda layers only with the opt-in.

    ``imports`` are modules to import first (custom layers registering themselves), with
    ``project_root`` (default: the current directory) first on ``sys.path``."""
    flavor, config = read_keras_config(path)
    lambdas = lambda_layers(config)
    if lambdas and not allow_unsafe_deserialization:
        raise UnsupportedModelError(
            f"{path}: Lambda layer(s) {', '.join(repr(n) for n in lambdas)} hold Python code that loading would run; "
            f"if you trust this file, convert it with {spell('allow_unsafe_deserialization', True, origin)}"
        )
    from tfjs_build.layers.source import open_keras_model
    from tfjs_build.layers.stored_weights import stored_weights

    # Refuses HDF5 that would make Keras read other files, and names a listed weight the file
    # lacks (Keras would only say KeyError).
    with open_keras_model(path) as opened:
        stored_weights(opened)
    import_tensorflow()
    options: dict[str, Any] = {"custom_objects": dict(custom_objects or {}), "compile": False}
    with imported_modules(imports, project_root, origin):
        return _load(
            path, (flavor, config), options, not allow_unsafe_deserialization, origin
        ), flavor


def _load(
    path: Path,
    read: tuple[KerasFlavor, dict[str, Any]],
    options: dict[str, Any],
    safe: bool,
    origin: Origin,
) -> Any:
    """Load with Keras (``read``: the file's flavor and config); failures name ``imports``."""
    flavor, config = read
    try:
        if flavor == "keras3" and keras_file_kind(path) == "h5":
            model = _load_keras3_h5(path, config, options, safe)
        elif flavor == "keras3":
            import keras

            model = keras.saving.load_model(path, safe_mode=safe, **options)
        else:
            import tf_keras

            if keras_file_kind(path) == "keras":
                options["safe_mode"] = safe
            model = tf_keras.models.load_model(path, **options)
    except Exception as exc:  # Keras raises ValueError, TypeError, ... for models it cannot build
        raise keras_load_error(path, exc, imports_hint(origin)) from None
    return model


def _load_keras3_h5(path: Path, config: dict[str, Any], options: dict[str, Any], safe: bool) -> Any:
    """A Keras 3 ``.h5`` model, repaired first where Keras 3 cannot load back what it wrote."""
    import keras

    custom = options["custom_objects"]
    known = {*custom, *keras.saving.get_custom_objects()}
    repaired, bound = repair_config(config, known)
    if not bound:
        return keras.saving.load_model(path, safe_mode=safe, **options)
    return load_repaired_h5(path, repaired, {**bound, **custom}, safe_mode=safe)


def _names(values: Any, count: int, prefix: str) -> list[str]:
    names = list(values) if values is not None else []
    return names if len(names) == count else [f"{prefix}_{i}" for i in range(count)]


def trace_keras_model(model: Any, flavor: KerasFlavor, source: str) -> Any:
    """A concrete function of ``model`` in inference mode, inputs and outputs named by layer."""
    tf = import_tensorflow()
    try:
        symbolic_inputs = list(model.inputs)
    except (AttributeError, ValueError):
        symbolic_inputs = []
    if not symbolic_inputs:
        raise UnsupportedModelError(
            f"{source}: the model has no known inputs (a subclassed model that was never built); "
            "export it with model.export() and convert the SavedModel"
        )
    input_names = _input_names(model, symbolic_inputs, flavor)
    specs = [
        tf.TensorSpec([None if d is None else int(d) for d in t.shape], t.dtype, name=n)
        for t, n in zip(symbolic_inputs, input_names, strict=True)
    ]
    structure = getattr(model, "_inputs_struct", None) if flavor == "keras3" else None

    def call(*tensors: Any) -> dict[str, Any]:
        if structure is not None:
            import keras

            arguments = keras.tree.pack_sequence_as(structure, list(tensors))
        else:
            arguments = list(tensors) if len(tensors) > 1 else tensors[0]
        result = model(arguments, training=False)
        if isinstance(result, Mapping):
            return dict(result)
        flat = list(result) if isinstance(result, (list, tuple)) else [result]
        names = _names(getattr(model, "output_names", None), len(flat), "output")
        return dict(zip(output_keys([str(n) for n in names]), flat, strict=True))

    return tf.function(call, autograph=False).get_concrete_function(*specs)


def _input_names(model: Any, symbolic_inputs: list[Any], flavor: KerasFlavor) -> list[str]:
    if flavor == "tf_keras":
        return _names(getattr(model, "input_names", None), len(symbolic_inputs), "input")
    names = [str(getattr(t, "name", "") or "") for t in symbolic_inputs]
    return (
        names if all(names) and len(set(names)) == len(names) else _names(None, len(names), "input")
    )
