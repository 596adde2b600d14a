// TF.js in Node as tfjs-build runs it: the pinned packages loaded from their install directory,
// one backend set up, and artifacts read from disk. Shared by the worker (worker.js) and the
// benchmarks (bench/tfjs_timing.js).
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');
const {installChainedOps} = require('./chained_ops.js');

// `tf` from the packages in `packagesDir` (tfjs-core, its cpu and wasm backends, layers, graph
// models, and the Tensor methods the umbrella package adds), on `backend`, ready.
async function loadTfjs(packagesDir, backend) {
  const load = createRequire(path.join(packagesDir, 'package.json'));
  const core = load('@tensorflow/tfjs-core');
  load('@tensorflow/tfjs-backend-cpu');
  const tf = {...core, ...load('@tensorflow/tfjs-layers'), ...load('@tensorflow/tfjs-converter')};
  installChainedOps(tf);
  if (backend === 'wasm') {
    const wasm = load('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is not available`);
  await tf.ready();
  return tf;
}

function safeJoin(dir, relative) {
  const resolved = path.resolve(dir, relative);
  if (path.isAbsolute(relative) || !resolved.startsWith(path.resolve(dir) + path.sep)) {
    throw new Error(`weights manifest path ${JSON.stringify(relative)} leaves ${dir}`);
  }
  return resolved;
}

function arrayBuffer(bytes) {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

// The artifact in `modelDir`: its model.json, and an IO handler that reads its shards (never a
// path outside `modelDir`).
function diskHandler(tf, modelDir) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const loadWeights = async (manifest) => {
    const specs = [];
    const buffers = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const shard of group.paths) buffers.push(arrayBuffer(fs.readFileSync(safeJoin(modelDir, shard))));
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  };
  return {modelJson, handler: {load: () => tf.io.getModelArtifactsForJSON(modelJson, loadWeights)}};
}

module.exports = {loadTfjs, diskHandler, arrayBuffer};
