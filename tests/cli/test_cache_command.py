"""``tfjs-build cache list | prune`` on a real project's cache."""

from __future__ import annotations

import re

from tests.cli.project_helpers import tfjs_build
from tests.conftest import make_user_repo, pyproject

LAYERS_ONLY = pyproject("dense", "conv", top='parity = false\ncache_max_size = "1MB"')


def test_list_then_prune_to_a_size_then_everything(tmp_path, model_files):
    root = make_user_repo(tmp_path / "repo", model_files, LAYERS_ONLY)
    assert tfjs_build(root, "convert").returncode == 0

    listing = tfjs_build(root, "cache", "list")
    assert listing.returncode == 0
    rows = listing.stdout.splitlines()
    assert sorted(row.split()[-1] for row in rows[:-1]) == ["models/conv.h5", "models/dense.keras"]
    assert all(
        re.fullmatch(r"[0-9a-f]{16}\s+[\d.]+ k?B\s+just now\s+\S+", row) for row in rows[:-1]
    )
    assert re.fullmatch(r"\.tfjs-build/cache: 2 entries, [\d.]+ kB of 1\.0 MB", rows[-1])

    pruned = tfjs_build(root, "cache", "prune", "--max-size", "1")
    assert pruned.returncode == 0
    assert re.fullmatch(
        r"\.tfjs-build/cache: removed 2 entries \([\d.]+ kB\); 0 left \(0 B\)\n", pruned.stdout
    )
    assert tfjs_build(root, "cache", "prune", "--all").stdout == (
        ".tfjs-build/cache: removed 0 entries (0 B); 0 left (0 B)\n"
    )
    assert (
        tfjs_build(root, "cache", "list").stdout == ".tfjs-build/cache: 0 entries, 0 B of 1.0 MB\n"
    )
