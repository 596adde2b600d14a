"""Find Node.js and install the pinned TF.js packages once into a per-user cache.

The cache key is a hash of ``tfjs_build/js/package.json`` and its lockfile, so a new pin installs
into a new directory and an unchanged one never runs npm again. Installs are serialised with a
file lock and moved into place only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from tfjs_build.errors import MissingDependencyError, RuntimeFailure

MIN_NODE_MAJOR = 18
_PACKAGE_FILES = ("package.json", "package-lock.json", ".npmrc")
_READY_MARKER = ".tfjs-build-installed"


def js_dir() -> Path:
    """The package's ``js`` directory (the Node program and its package files)."""
    return Path(str(resources.files("tfjs_build") / "js"))


def cache_root() -> Path:
    """``$TFJS_BUILD_CACHE_DIR``, else ``$XDG_CACHE_HOME/tfjs-build``, else ``~/.cache/tfjs-build``."""
    explicit = os.environ.get("TFJS_BUILD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tfjs-build"


def lock_key() -> str:
    """Short hash of the package files that pin the TF.js install."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((js_dir() / name).read_bytes())
    return digest.hexdigest()[:16]


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
    """The ``node`` binary, checked to be recent enough."""
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
    """The pinned ``@tensorflow/tfjs``'s ``dist``: ``tf.min.js`` holds TF.js with its cpu and
    webgl backends for browsers. Installed on first use."""
    return ensure_node_packages() / "node_modules" / "@tensorflow" / "tfjs" / "dist"


def _install(target: Path) -> None:
    npm = find_executable("npm")
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
        (staging / _READY_MARKER).write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
