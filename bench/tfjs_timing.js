'use strict';
// Times loading a TF.js artifact from disk and predicting with it, for bench/bench_incumbent.py.
//
// Usage: node tfjs_timing.js PACKAGES_DIR BACKEND MODEL_DIR INPUT_JSON REPEATS
//   INPUT_JSON: {"shape": [...], "file": raw little-endian float32}. The model's single input is
//   fed positionally, so artifacts that name their inputs differently are timed alike.
// Prints one JSON line: {"load_ms", "first_predict_ms", "predict_ms": [...], "outputs": [[...]]},
// or {"error": message} (a model TF.js cannot load or run is a result here, not a crash).
const fs = require('fs');
const {loadTfjs, diskHandler, arrayBuffer} = require('../tfjs_build/js/node_tfjs.js');

const [packagesDir, backend, modelDir, inputJson, repeatsArg] = process.argv.slice(2);
let tf = null;

async function predict(model, isGraph, input) {
  let outputs = isGraph ? await model.executeAsync(input) : model.predict(input);
  if (!Array.isArray(outputs)) outputs = [outputs];
  const values = [];
  for (const tensor of outputs) values.push(Array.from(await tensor.data()));
  tf.dispose(outputs);
  return values;
}

async function main() {
  tf = await loadTfjs(packagesDir, backend);
  const spec = JSON.parse(fs.readFileSync(inputJson, 'utf8'));
  const bytes = fs.readFileSync(spec.file);
  const input = tf.tensor(new Float32Array(arrayBuffer(bytes)), spec.shape);

  const started = performance.now();
  const {modelJson, handler} = diskHandler(tf, modelDir);
  const isGraph = modelJson.format === 'graph-model' || 'node' in (modelJson.modelTopology || {});
  const model = isGraph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const loadMs = performance.now() - started;

  let begin = performance.now();
  const outputs = await predict(model, isGraph, input);
  const firstMs = performance.now() - begin;
  const times = [];
  for (let i = 0; i < Number(repeatsArg); i++) {
    begin = performance.now();
    await predict(model, isGraph, input);
    times.push(performance.now() - begin);
  }
  process.stdout.write(JSON.stringify({load_ms: loadMs, first_predict_ms: firstMs, predict_ms: times, outputs}) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({error: String(err && err.message ? err.message : err)}) + '\n');
});
