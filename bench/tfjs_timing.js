'use strict';
// Times loading a TF.js artifact from disk and predicting with it, for bench/bench_incumbent.py.
//
// Usage: node tfjs_timing.js PACKAGES_DIR BACKEND MODEL_DIR INPUT_JSON REPEATS
//   INPUT_JSON: {"shape": [...], "file": raw little-endian float32}. The model's single input is
//   fed positionally, so artifacts that name their inputs differently are timed alike.
// Prints one JSON line: {"load_ms", "first_predict_ms", "predict_ms": [...], "outputs": [[...]]},
// or {"error": message} (a model TF.js cannot load or run is a result here, not a crash).
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const [packagesDir, backend, modelDir, inputJson, repeatsArg] = process.argv.slice(2);
const load = createRequire(path.join(packagesDir, 'package.json'));
const tf = load('@tensorflow/tfjs');

function diskHandler() {
  const modelJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const loadWeights = async (manifest) => {
    const specs = [];
    const buffers = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const shard of group.paths) {
        const bytes = fs.readFileSync(path.join(modelDir, shard));
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  };
  return {modelJson, handler: {load: () => tf.io.getModelArtifactsForJSON(modelJson, loadWeights)}};
}

async function predict(model, isGraph, input) {
  let outputs = isGraph ? await model.executeAsync(input) : model.predict(input);
  if (!Array.isArray(outputs)) outputs = [outputs];
  const values = [];
  for (const tensor of outputs) values.push(Array.from(await tensor.data()));
  tf.dispose(outputs);
  return values;
}

async function main() {
  if (backend === 'wasm') {
    const wasm = load('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is not available`);
  await tf.ready();
  const spec = JSON.parse(fs.readFileSync(inputJson, 'utf8'));
  const bytes = fs.readFileSync(spec.file);
  const input = tf.tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), spec.shape);

  const started = performance.now();
  const {modelJson, handler} = diskHandler();
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
