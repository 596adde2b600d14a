"""Back to Keras: a TF.js layers model written as a Keras 3 ``.keras`` (or ``.h5``) file, published
atomically once the parity check (the Keras file in Keras against the TF.js model in TF.js)
accepts it."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfjs_build.errors import TfjsBuildError, UnsupportedModelError
from tfjs_build.options import ConvertOptions

if TYPE_CHECKING:
    from tfjs_build.artifact.model import Artifact
    from tfjs_build.pipeline import BuildResult, Verifier

KERAS_OUTPUT_SUFFIXES = (".keras", ".h5")
KERAS_FORMAT = "keras"
KERAS_REASON = "a TF.js layers model written as a Keras 3 file"


def is_keras_output(output: Path) -> bool:
    """Whether ``output`` names a Keras file rather than an artifact directory."""
    return Path(output).suffix.lower() in KERAS_OUTPUT_SUFFIXES


def build_keras_file(
    source: Path, output: Path, options: ConvertOptions, verify: Verifier | None
) -> BuildResult:
    """Write the TF.js layers model at ``source`` as the Keras 3 file ``output``."""
    from tfjs_build.pipeline import BuildResult
    from tfjs_build.sources.registry import source_kind
    from tfjs_build.sources.tfjs_model import TFJS_LAYERS, model_json_of, read_source_artifact

    started = time.perf_counter()
    kind = source_kind(source)
    if kind is not TFJS_LAYERS:
        raise TfjsBuildError(
            f"{output}: a Keras file is written from a TF.js layers model, and {source} is a "
            f"{kind.label}; give an output directory instead"
        )
    model_json = model_json_of(Path(source))
    assert model_json is not None
    model = keras_model_of(read_source_artifact(model_json), model_json)
    staging = output.parent / f".{output.name}.tfjs-build-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        staged = staging / output.name
        model.save(staged)
        record = verify(staged, Path(source), output) if verify is not None else None
        os.replace(staged, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(
        output=output,
        format=KERAS_FORMAT,
        reason=KERAS_REASON,
        files=(output.name,),
        total_bytes=output.stat().st_size,
        shards=0,
        seconds=time.perf_counter() - started,
        parity=record,
    )


def keras_model_of(artifact: Artifact, source: Path) -> Any:
    """The Keras 3 model a TF.js layers artifact describes, with its weights; layers Keras 3
    lacks are refused by name."""
    import keras
    from keras.src.legacy.saving import saving_utils  # Keras's own reader of Keras 2 configs

    from tfjs_build.graph.tfjs_layers import rebuilt, with_weights

    topology = artifact.topology.get("model_config", artifact.topology)
    missing = [
        f"{name} ({class_name})"
        for name, class_name in _layer_classes(topology)
        if not hasattr(keras.layers, class_name)
    ]
    if missing:
        raise UnsupportedModelError(
            f"{source}: Keras 3 has no layer {', '.join(missing)}; keep this model in TF.js"
        )
    model = rebuilt(lambda: saving_utils.model_from_config(topology), source, "Keras 3")
    stored = {name for name, _ in artifact.weights}
    return with_weights(model, artifact, source, lambda weight: _tfjs_name(weight.path, stored))


def _tfjs_name(path: str, stored: set[str]) -> str:
    """The TF.js name of the Keras 3 weight at ``path``: the path itself, or its longest tail in
    ``stored`` (Keras 3 puts a Sequential model's own name in front: ``sequential/dense/kernel``
    is TF.js's ``dense/kernel``)."""
    parts = path.split("/")
    tails = ("/".join(parts[start:]) for start in range(len(parts)))
    return next((tail for tail in tails if tail in stored), path)


def _layer_classes(config: Any) -> list[tuple[str, str]]:
    layers = config.get("config", {}).get("layers", []) if isinstance(config, dict) else []
    found = []
    for layer in layers:
        found.append((str(layer.get("config", {}).get("name", "?")), str(layer["class_name"])))
        if isinstance(layer.get("config"), dict) and "layers" in layer["config"]:
            found += _layer_classes(layer)
    return found
