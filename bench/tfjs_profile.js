'use strict';
// Where a graph model's prediction goes, kernel by kernel, for bench/bench_incumbent_browser.py.
//
// Usage: node tfjs_profile.js PACKAGES_DIR BACKEND MODEL_DIR INPUT_JSON RUNS
// After 3 warm-up predictions, RUNS predictions under tf.profile; prints one JSON line:
// {"wall_ms": mean per prediction, "kernels_ms": {kernel: mean ms per prediction}}. Only
// kernels are counted (not the ops that call them, which tf.profile lists too, nested).
const fs = require('fs');
const {loadTfjs, diskHandler, arrayBuffer} = require('../tfjs_build/js/node_tfjs.js');

const [packagesDir, backend, modelDir, inputJson, runsArg] = process.argv.slice(2);

async function main() {
  const tf = await loadTfjs(packagesDir, backend);
  const spec = JSON.parse(fs.readFileSync(inputJson, 'utf8'));
  const input = tf.tensor(new Float32Array(arrayBuffer(fs.readFileSync(spec.file))), spec.shape);
  const model = await tf.loadGraphModel(diskHandler(tf, modelDir).handler);
  const predict = () => tf.dispose(model.execute(input));
  for (let i = 0; i < 3; i++) predict();
  const runs = Number(runsArg);
  const kernels = {};
  let wall = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const info = await tf.profile(predict);
    wall += performance.now() - started;
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue;
      kernels[k.name] = (kernels[k.name] || 0) + k.kernelTimeMs / runs;
    }
  }
  process.stdout.write(JSON.stringify({wall_ms: wall / runs, kernels_ms: kernels}) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({error: String(err && err.message ? err.message : err)}) + '\n');
});
