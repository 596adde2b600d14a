"""The project's own tasks: ``doit test``, ``doit test_slow``, ``doit test_random``, ``doit lint``, ``doit demo``, ``doit bench``."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

DOIT_CONFIG = {"default_tasks": ["test"], "verbosity": 2}
PYTHON = sys.executable
ROOT = Path(__file__).parent
EXAMPLE = ROOT / "example_project"


def task_test() -> dict:
    """Lint, then run the test suite (everything but the tests marked slow)."""
    return {
        "actions": [f"{PYTHON} -m pytest -q"],
        "task_dep": ["lint"],
        "uptodate": [False],
    }  # slow tests are deselected in pyproject


def task_test_slow() -> dict:
    """Run only the slow tests (keras.applications and other large models)."""
    return {"actions": [f"{PYTHON} -m pytest -m slow -q"], "uptodate": [False]}


def task_test_random() -> dict:
    """Run the suite in a random order (tests shuffled across modules) to find tests that depend
    on what ran before them. ``doit test_random --seed N`` repeats an order; the run prints its seed."""
    return {
        "actions": [
            f"{PYTHON} -m pytest -q -p random_order --random-order-bucket=global"
            " --random-order-seed=%(seed)s"
        ],
        "params": [
            {
                "name": "seed",
                "long": "seed",
                "default": str(secrets.randbelow(1_000_000)),
                "help": "the order's seed (a new one each run by default)",
            }
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_lint() -> dict:
    """ruff (lint and format) over the repo, mypy over the package and the tests, and the docs
    site built with ``mkdocs build --strict`` (no broken link, every page in the navigation)."""
    return {
        "actions": [
            f"{PYTHON} -m ruff check .",
            f"{PYTHON} -m ruff format --check .",
            f"{PYTHON} -m mypy",
            f"NO_MKDOCS_2_WARNING=1 {PYTHON} -m mkdocs build --strict --quiet",
        ],
        "uptodate": [False],
    }


def task_docs() -> dict:
    """Regenerate the reference pages generated from the code (docs/reference/)."""
    return {"actions": [f"{PYTHON} -m tfjs_build.reference {ROOT}"], "uptodate": [False]}


def task_demo() -> dict:
    """Copy the example project to build/demo-project, retrain its models, convert and check them."""
    demo = ROOT / "build" / "demo-project"
    steps = [
        f"rm -rf {demo} && mkdir -p {demo.parent} && cp -r {EXAMPLE} {demo}",
        f"rm -rf {demo}/.tfjs-build {demo}/.doit.db*",
        f"cd {demo} && {PYTHON} -m doit train convert",
        f"cd {demo} && {PYTHON} -m tfjs_build check",
        f"cd {demo} && {PYTHON} -m doit convert",  # nothing left to do
    ]
    return {"actions": steps, "uptodate": [False], "verbosity": 2}


def task_bench() -> dict:
    """Run every benchmark in bench/ (results go to docs/benchmarks.md by hand)."""
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        yield {
            "name": script.stem,
            "actions": [f"{PYTHON} {script}"],
            "uptodate": [False],
            "verbosity": 2,
        }
