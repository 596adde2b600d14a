"""The one browser script made from the pinned packages: TF.js whole, in a real Chromium."""

from __future__ import annotations

from tfjs_build.runtime.browser_bundle import ALEA, BUNDLE_NAME, SCRIPTS
from tfjs_build.runtime.node_packages import tfjs_bundle_dir

PROBE = """(async () => {
  await tf.setBackend('cpu');
  const cpu = tf.multinomial(tf.tensor1d([0, 0, 50]), 4, 7).arraySync();
  await tf.setBackend('webgl');
  return {
    version: tf.version_core,
    backends: [tf.findBackend('cpu') !== null, tf.findBackend('webgl') !== null],
    models: [typeof tf.loadLayersModel, typeof tf.loadGraphModel],
    cpu,
    webgl: tf.matMul([[1, 2]], [[3], [4]]).arraySync(),
    stray: [typeof alea, typeof module, typeof tfjsBuildChainedOps],
    chained: tf.tensor2d([[1, 2], [3, 4]]).flatten().add(1).arraySync(),
  };
})()"""


def test_the_bundle_holds_its_scripts_in_order_without_source_maps(node_packages):
    text = (tfjs_bundle_dir() / BUNDLE_NAME).read_text()
    assert "sourceMappingURL" not in text
    modules = node_packages / "node_modules"
    starts = [text.index((modules / s).read_text().split("*/", 1)[1][:1000]) for s in SCRIPTS]
    assert starts == sorted(starts) and text.index("alea") < starts[0]
    assert (modules / ALEA).is_file()


def test_the_bundle_runs_cpu_webgl_layers_and_graph_models_in_chromium(runtimes):
    session = runtimes.browser()
    page = session.open_page()
    try:
        found = session.evaluate(page, PROBE, timeout=120)
    finally:
        session.close_page(page)
    assert found == {
        "version": "4.22.0",
        "backends": [True, True],
        "models": ["function", "function"],
        "cpu": [2, 2, 2, 2],  # the cpu backend's Multinomial needs seedrandom's alea
        "webgl": [[11]],
        "stray": ["undefined"] * 3,  # the wrappers left no globals behind
        "chained": [2, 3, 4, 5],  # Tensor methods, as the umbrella package has them
    }
