"""How long installing another TF.js release takes, next to the pinned one, in the same run.

python bench/bench_tfjs_install.py                  # 4.10.0 and 3.21.0 next to the pinned 4.22.0
python bench/bench_tfjs_install.py --releases 4.19.0

Each install goes into a fresh tool cache; "cold" also starts from an empty npm cache (every
tarball downloaded), "warm npm" from npm's cache as the cold run left it. The pinned release
installs with ``npm ci`` from the lockfile, the others with ``npm install``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tfjs_build.runtime.node_packages import ensure_node_packages  # noqa: E402
from tfjs_build.tfjs_versions import PINNED  # noqa: E402


def timed_install(release: str, scratch: Path, npm_cache: Path) -> float:
    """Seconds to install ``release`` into a fresh tool cache under ``scratch``."""
    os.environ["TFJS_BUILD_CACHE_DIR"] = str(scratch / f"tool-{release}-{time.monotonic_ns()}")
    os.environ["NPM_CONFIG_CACHE"]  # npm reads it in any case = str(npm_cache)
    started = time.perf_counter()
    ensure_node_packages(None if release == PINNED else release)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", nargs="*", default=["4.10.0", "3.21.0"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        print("release, cold (empty npm cache), warm npm cache, ratio to the pinned cold install")
        baseline = None
        for release in [PINNED, *args.releases]:
            npm_cache = root / f"npm-{release}"
            cold = timed_install(release, root, npm_cache)
            warm = timed_install(release, root, npm_cache)
            baseline = baseline or cold
            print(f"  {release}: {cold:.1f} s, {warm:.1f} s, {cold / baseline:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
