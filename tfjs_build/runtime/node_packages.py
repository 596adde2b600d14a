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

from tfjs_build import tfjs_versions
from tfjs_build.errors import ConfigError, MissingDependencyError, RuntimeFailure
from tfjs_build.runtime.browser_bundle import (
    BUNDLE_DIR,
    BUNDLE_RECIPE,
    CHAINED_OPS,
    write_browser_bundle,
)


class UnknownReleaseError(ConfigError):
    """``tfjs_version`` names a TF.js release that npm does not have."""


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

    def __init__(self, version: str | None = None) -> None:
        self.version = version
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
            self._packages = ensure_node_packages(self.version)
        return self._packages


def ensure_node_packages(version: str | None = None) -> Path:
    """The directory whose ``node_modules`` holds the TF.js packages of ``version`` (default: the
    pinned ones, from the lockfile), installing them on first use."""
    if version is None or version == pinned_tfjs_version():
        return _ensure(lock_key(), None)
    return _ensure(f"{version}-{lock_key()}", version)


def _ensure(key: str, version: str | None) -> Path:
    root = cache_root() / "node"
    target = root / key
    if (target / _READY_MARKER).exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / _READY_MARKER).exists():
            _install(target, version)
    return target


def tfjs_bundle_dir(version: str | None = None) -> Path:
    """The directory of ``tf.min.js``: TF.js ``version`` (default: the pinned one) with its cpu,
    webgl and webgpu backends, layers and graph models, for browsers. Installed on first use."""
    return ensure_node_packages(version) / BUNDLE_DIR


def _install(target: Path, version: str | None) -> None:
    """Install the pinned packages with ``npm ci`` (the lockfile's integrity hashes), or those of
    another ``version`` with ``npm install`` (npm checks each tarball against the registry's
    integrity hash and records it in the install's own lockfile)."""
    npm = find_executable("npm")
    packages = (
        pinned_packages()
        if version is None
        else tfjs_versions.packages_for(version, pinned_packages())
    )
    if version is not None:
        _check_release(npm, version)
    names = ", ".join(name.split("/")[-1] for name in sorted(packages))
    print(
        f"tfjs-build: installing TF.js {version or pinned_tfjs_version()} ({names}; about "
        f"{INSTALLED_MB} MB) into {target}, once",
        file=sys.stderr,
        flush=True,
    )
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=target.parent))
    try:
        for name in _PACKAGE_FILES:
            source = js_dir() / name
            if source.exists() and (version is None or name == ".npmrc"):
                shutil.copyfile(source, staging / name)
        if version is not None:
            manifest = json.loads((js_dir() / "package.json").read_text())
            manifest["dependencies"] = packages
            (staging / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        command = "ci" if version is None else "install"
        _npm(
            npm,
            [command, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            staging,
        )
        write_browser_bundle(staging / "node_modules", staging / BUNDLE_DIR, js_dir())
        (staging / _READY_MARKER).write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _npm(npm: str, arguments: list[str], cwd: Path) -> str:
    result = subprocess.run([npm, *arguments], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        raise RuntimeFailure(f"installing TF.js with npm failed in {cwd}: {tail}")
    return result.stdout


def _check_release(npm: str, version: str) -> None:
    """A ``version`` npm does not have is one line naming the releases it has."""
    core = "@tensorflow/tfjs-core"
    listed = _npm(npm, ["view", core, "versions", "--json", "--loglevel=error"], Path.cwd())
    releases = [v for v in json.loads(listed or "[]") if _is_covered_release(v)]
    if version not in releases:
        raise UnknownReleaseError(
            f"TF.js {version} does not exist: {core} has releases {releases[0]} to "
            f"{releases[-1]} ({', '.join(releases[-6:])} the latest); choose one for tfjs_version (--tfjs-version)"
        )


def _is_covered_release(version: str) -> bool:
    try:
        return tfjs_versions.covered(version)
    except ValueError:  # pre-releases
        return False
