"""Find Node.js and install the pinned TF.js packages once into a per-user cache.

The packages are exactly what runs: ``tfjs-core``, the ``cpu`` and ``wasm`` backends for Node, the
``webgl`` and ``webgpu`` backends for the browser, ``tfjs-layers`` and ``tfjs-converter`` (not the umbrella
``@tensorflow/tfjs``, which adds ``tfjs-data`` and its command-line tools). The browser gets one
script, ``browser/tf.min.js``, made from their browser bundles when they are installed. The cache
key is a hash of ``tfjs_build/js/package.json``, its lockfile and that recipe, so a new pin
installs into a new directory and an unchanged one never runs npm again. Installs are serialised
with a file lock and moved into place only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from tfjs_build.errors import MissingDependencyError, RuntimeFailure
from tfjs_build.runtime.browser_bundle import (
    BUNDLE_DIR,
    BUNDLE_RECIPE,
    CHAINED_OPS,
    write_browser_bundle,
)

MIN_NODE_MAJOR = 18
INSTALLED_MB = 157
"""What the pinned packages take (their files' sizes, in 10**6 bytes); a test keeps it honest."""
_PACKAGE_FILES = ("package.json", "package-lock.json", ".npmrc")
_READY_MARKER = ".tfjs-build-installed"


def js_dir() -> Path:
    """The package's ``js`` directory (the Node programs and their package files)."""
    return Path(str(resources.files("tfjs_build") / "js"))


def cache_root() -> Path:
    """``$TFJS_BUILD_CACHE_DIR``, else ``$XDG_CACHE_HOME/tfjs-build``, else ``~/.cache/tfjs-build``."""
    explicit = os.environ.get("TFJS_BUILD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tfjs-build"


def lock_key() -> str:
    """Short hash of the package files that pin the TF.js install, and of the browser bundle's
    recipe."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json", CHAINED_OPS):
        digest.update((js_dir() / name).read_bytes())
    digest.update(BUNDLE_RECIPE.encode())
    return digest.hexdigest()[:16]


def pinned_packages() -> dict[str, str]:
    """The npm packages ``package.json`` pins, by name."""
    dependencies: dict[str, str] = json.loads((js_dir() / "package.json").read_text())[
        "dependencies"
    ]
    return dependencies


def pinned_tfjs_version() -> str:
    """The TF.js version every pinned ``@tensorflow`` package has (``tfjs-core``'s)."""
    return pinned_packages()["@tensorflow/tfjs-core"]


def find_executable(name: str) -> str:
    """Path of ``node``/``npm``, or an error saying what to install."""
    found = shutil.which(name)
    if found is None:
        raise MissingDependencyError(
            f"`{name}` was not found on PATH; running TF.js needs Node.js {MIN_NODE_MAJOR}+ with npm "
            "(install them from your OS packages or nodejs.org)"
        )
    return found


def node_executable() -> str:
    """The ``node`` binary, checked to be recent enough (this runs it: call it once)."""
    node = find_executable("node")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.match(r"v(\d+)\.", version.strip())
    if not match or int(match.group(1)) < MIN_NODE_MAJOR:
        raise MissingDependencyError(
            f"Node.js {MIN_NODE_MAJOR}+ is needed to run TF.js, found {version.strip() or 'unknown'} at {node}"
        )
    return node


class NodeSetup:
    """Node.js and the pinned TF.js packages, found, checked and installed on first use and then
    remembered: a build's runtimes share one, so ``node --version`` runs once per build."""

    def __init__(self) -> None:
        self._node: str | None = None
        self._packages: Path | None = None

    @property
    def node(self) -> str:
        """The checked ``node`` binary."""
        if self._node is None:
            self._node = node_executable()
        return self._node

    @property
    def packages(self) -> Path:
        """The directory whose ``node_modules`` holds the pinned packages."""
        if self._packages is None:
            self._packages = ensure_node_packages()
        return self._packages


def ensure_node_packages() -> Path:
    """The directory whose ``node_modules`` holds the pinned TF.js packages, installing on first use."""
    root = cache_root() / "node"
    target = root / lock_key()
    if (target / _READY_MARKER).exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / _READY_MARKER).exists():
            _install(target)
    return target


def tfjs_bundle_dir() -> Path:
    """The directory of ``tf.min.js``: TF.js with its cpu and webgl backends, layers and graph
    models, for browsers. Installed on first use."""
    return ensure_node_packages() / BUNDLE_DIR


def _install(target: Path) -> None:
    npm = find_executable("npm")
    names = ", ".join(name.split("/")[-1] for name in sorted(pinned_packages()))
    print(
        f"tfjs-build: installing TF.js {pinned_tfjs_version()} ({names}; about {INSTALLED_MB} MB) "
        f"into {target}, once",
        file=sys.stderr,
        flush=True,
    )
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    try:
        for name in _PACKAGE_FILES:
            source = js_dir() / name
            if source.exists():
                shutil.copyfile(source, staging / name)
        result = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
            raise RuntimeFailure(f"installing TF.js with npm failed in {staging}: {tail}")
        write_browser_bundle(staging / "node_modules", staging / BUNDLE_DIR, js_dir())
        (staging / _READY_MARKER).write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
