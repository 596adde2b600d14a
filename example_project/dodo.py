"""The example's tasks: ``doit train`` trains the models, ``doit convert`` builds their TF.js artifacts."""

from __future__ import annotations

import sys

from tfjs_build.doit import task_convert  # noqa: F401  (one convert subtask per configured model)

DOIT_CONFIG = {"default_tasks": ["train", "convert"], "verbosity": 2}


def task_train() -> dict:
    """Train the three example models on synthetic data."""
    return {
        "actions": [f"{sys.executable} train.py"],
        "file_dep": ["train.py"],
        "targets": [
            "models/classifier.keras",
            "models/regressor.h5",
            "models/scorer/saved_model.pb",
        ],
        "clean": True,
    }
