'use strict';
// Runs TF.js artifacts from disk in Node with the pure-JS (cpu) or wasm backend.
//
// Usage: node run.js PACKAGES_DIR REQUEST_JSON
//   PACKAGES_DIR holds node_modules with @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm.
//   REQUEST_JSON: {"backend": "cpu"|"wasm", "jobs": [{"model_dir", "inputs": [{"name", "dtype",
//   "shape", "file"}], "outputs": [names] | null, "result_dir", "warm_runs": n}]}; string inputs
//   and outputs are files of (uint32 LE byte count, bytes) per element.
// For each job it writes result_dir/outputs.json ({"outputs": [{"name", "dtype", "shape",
// "file"}], "timings": {"load_ms", "predict_ms", "warm_predict_ms"}}) and one raw little-endian
// file per output. Errors go to stderr as one JSON line {"error": message}.
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');
const {inputTensor, runModel} = require('./run_model.js');

const packagesDir = process.argv[2];
const request = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const load = createRequire(path.join(packagesDir, 'package.json'));
const tf = load('@tensorflow/tfjs');

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

function diskHandler(modelDir) {
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

function writeOutput(resultDir, index, output) {
  const file = path.join(resultDir, `output${index}.bin`);
  if (output.dtype === 'string') {
    const parts = [];
    for (const bytes of output.values) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, Buffer.from(bytes));
    }
    fs.writeFileSync(file, Buffer.concat(parts));
  } else {
    const values = output.values;
    fs.writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  return {name: output.name, dtype: output.dtype, shape: output.shape, file};
}

async function runJob(job) {
  const {modelJson, handler} = diskHandler(job.model_dir);
  const inputs = {};
  for (const spec of job.inputs) inputs[spec.name] = inputTensor(tf, spec, arrayBuffer(fs.readFileSync(spec.file)));
  try {
    const {outputs, timings} = await runModel(tf, modelJson, handler, inputs, job.outputs, job.warm_runs);
    const written = outputs.map((output, index) => writeOutput(job.result_dir, index, output));
    fs.writeFileSync(path.join(job.result_dir, 'outputs.json'), JSON.stringify({outputs: written, timings}));
  } finally {
    for (const tensor of Object.values(inputs)) tensor.dispose();
  }
}

async function main() {
  if (request.backend === 'wasm') {
    const wasm = load('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  }
  if (!(await tf.setBackend(request.backend))) throw new Error(`TF.js backend ${request.backend} is not available`);
  await tf.ready();
  for (const job of request.jobs) await runJob(job);
}

main().catch((err) => {
  process.stderr.write(JSON.stringify({error: String(err && err.message ? err.message : err)}) + '\n');
  process.exit(1);
});
