"""The seam: every kind is one object in the registry; recognising and fingerprinting a source
stay on the light side (no numpy, no TensorFlow), and so does ``auto``'s choice for a Keras
SavedModel (no TensorFlow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.sources.models import Source
from tfjs_build.sources.registry import KINDS

SCRIPT = """
import json, sys
from pathlib import Path
from tfjs_build.options import ConvertOptions
from tfjs_build.project.fingerprint import HashCache
from tfjs_build.sources import identify_source, source_fingerprint
saved, frozen, tfjs = (Path(p) for p in sys.argv[1:])
report = {
    "kinds": [identify_source(saved), identify_source(frozen), identify_source(tfjs)],
    "tfjs": source_fingerprint(tfjs, HashCache(), ConvertOptions()),
    "fingerprints": [
        source_fingerprint(frozen, HashCache(), ConvertOptions(output_nodes=nodes))
        for nodes in [("probs",), ("probs",), ("hidden",)]
    ],
    "light": sorted({n.split(".")[0] for n in sys.modules} & {"numpy", "tensorflow", "h5py"}),
}
from tfjs_build.layers.convert import find_unsupported_layers
report["unsupported"] = len(find_unsupported_layers(saved))
report["heavy"] = sorted({n.split(".")[0] for n in sys.modules} & {"tensorflow", "keras", "tf_keras"})
print(json.dumps(report))
"""


def test_recognising_and_fingerprinting_stay_light(
    keras_saved_mlp: Source, frozen_mlp: Source, tfjs_layers: Source
) -> None:
    paths = [keras_saved_mlp.path, frozen_mlp.path, tfjs_layers.path]
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["kinds"] == ["keras_saved_model", "frozen_graph", "tfjs_layers_model"]
    assert report["tfjs"].startswith("sha256:")
    same, again, other = report["fingerprints"]
    assert same == again != other  # a frozen graph's fingerprint covers its output nodes
    assert report["light"] == []
    assert (report["unsupported"], report["heavy"]) == (0, [])


def test_kinds_have_distinct_names_and_say_what_they_make() -> None:
    names = [kind.name for kind in KINDS]
    assert len(set(names)) == len(names)
    assert names == [
        "keras",
        "h5",
        "keras_saved_model",
        "saved_model",
        "frozen_graph",
        "tfjs_layers_model",
        "tfjs_graph_model",
    ]
    assert all(kind.formats and set(kind.formats) <= {"layers", "graph"} for kind in KINDS)
