"""One browser script, ``tf.min.js``, made from the pinned packages' own minified bundles: TF.js's
core, its cpu, webgl and webgpu backends, layers and graph models, in the order they extend ``tf``.

The browser runner page and the report load it; nothing else is in it. The Tensor methods the
umbrella ``@tensorflow/tfjs`` package adds come last (``js/chained_ops.js``, wrapped so that it
sets no global). The cpu backend's bundle
takes ``seedrandom`` from the page (for ``Multinomial``), so its ``alea`` generator, from the
pinned ``seedrandom`` package, comes first, wrapped so that it sets only that.
"""

from __future__ import annotations

import re
from pathlib import Path

BUNDLE_DIR = "browser"
BUNDLE_NAME = "tf.min.js"
SCRIPTS = (
    "@tensorflow/tfjs-core/dist/tf-core.min.js",
    "@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js",
    "@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js",
    "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js",
    "@tensorflow/tfjs-layers/dist/tf-layers.min.js",
    "@tensorflow/tfjs-converter/dist/tf-converter.min.js",
)
ALEA = "seedrandom/lib/alea.min.js"
_SEEDRANDOM = """(function () {{
var module = {{exports: {{}}}};
{alea}
globalThis.seedrandom = {{alea: module.exports}};
}})();
"""
CHAINED_OPS = "chained_ops.js"
"""In ``js_dir()``: installed into ``tf`` at the end of the bundle."""
_CHAINED_OPS_WRAPPER = """(function () {{
var module = {{exports: {{}}}};
{script}
module.exports.installChainedOps(tf);
}})();
"""
BUNDLE_RECIPE = repr((BUNDLE_DIR, BUNDLE_NAME, ALEA, SCRIPTS, _SEEDRANDOM, _CHAINED_OPS_WRAPPER))
"""Part of the install's cache key (with ``CHAINED_OPS``'s text): changing what goes into the
bundle makes a new install."""

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


def write_browser_bundle(node_modules: Path, directory: Path, js: Path) -> Path:
    """Write ``directory/tf.min.js`` from the bundles in ``node_modules`` and the scripts of ``js``
    (``js_dir()``); return its path."""
    parts = [_SEEDRANDOM.format(alea=_script(node_modules / ALEA))]
    # An older TF.js release has no webgpu package: its bundle goes without.
    parts += [
        _script(node_modules / script) for script in SCRIPTS if (node_modules / script).exists()
    ]
    parts.append(_CHAINED_OPS_WRAPPER.format(script=_script(js / CHAINED_OPS)))
    directory.mkdir(parents=True, exist_ok=True)
    bundle = directory / BUNDLE_NAME
    bundle.write_text("\n;\n".join(parts), encoding="utf-8")
    return bundle


def _script(path: Path) -> str:
    """A minified script without its source-map comment (the maps are not served)."""
    return _SOURCE_MAP.sub("", path.read_text(encoding="utf-8")).strip()
