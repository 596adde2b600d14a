"""The example's tasks: ``doit train`` trains the models, ``doit convert`` builds their TF.js artifacts.

Until tfjs-build's own doit integration lands, ``convert`` calls the ``tfjs-build`` CLI per model.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOIT_CONFIG = {"default_tasks": ["train", "convert"], "verbosity": 2}
HERE = Path(__file__).parent
SAVED_MODEL_FILES = ["models/scorer/saved_model.pb"]
MODELS = {
    "classifier": ("models/classifier.keras", ["models/classifier.keras"]),
    "regressor": ("models/regressor.h5", ["models/regressor.h5"]),
    "scorer": ("models/scorer", SAVED_MODEL_FILES),
}


def task_train() -> dict:
    """Train the three example models on synthetic data."""
    return {
        "actions": [f"{sys.executable} train.py"],
        "file_dep": ["train.py"],
        "targets": [files[0] for _, files in MODELS.values()],
        "clean": True,
    }


def task_convert() -> dict:
    """Build a TF.js artifact per model in web_model/."""
    for name, (source, files) in MODELS.items():
        yield {
            "name": name,
            "doc": f"{source} -> web_model/{name}",
            "actions": [
                f"{sys.executable} -m tfjs_build convert {source} web_model/{name}",
                f"{sys.executable} -m tfjs_build inspect web_model/{name}",
            ],
            "file_dep": files,
            "targets": [f"web_model/{name}/model.json"],
        }
