'use strict';
// Runs TF.js artifacts from disk in Node with the pure-JS (cpu) or wasm backend.
//
// Usage: node run.js PACKAGES_DIR REQUEST_JSON
//   PACKAGES_DIR holds node_modules with @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm.
//   REQUEST_JSON: {"backend": "cpu"|"wasm", "jobs": [{"model_dir", "inputs": [{"name", "dtype",
//   "shape", "file"}], "outputs": [names] | null, "result_dir"}]}; string inputs and outputs are
//   files of (uint32 LE byte count, bytes) per element. ("outputs" chooses a graph model's
//   outputs; a layers model returns all of them.)
// For each job it writes result_dir/outputs.json ([{"name", "dtype", "shape", "file"}], in model
// order; names repeat where outputs of a layers model share a layer) and one raw little-endian
// file per output. Errors go to stderr as one JSON line {"error": message}.
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const packagesDir = process.argv[2];
const request = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const load = createRequire(path.join(packagesDir, 'package.json'));
const tf = load('@tensorflow/tfjs');

const TYPED = {float32: Float32Array, int32: Int32Array, bool: Uint8Array};

function safeJoin(dir, relative) {
  const resolved = path.resolve(dir, relative);
  if (path.isAbsolute(relative) || !resolved.startsWith(path.resolve(dir) + path.sep)) {
    throw new Error(`weights manifest path ${JSON.stringify(relative)} leaves ${dir}`);
  }
  return resolved;
}

function diskHandler(modelDir) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const loadWeights = async (manifest) => {
    const specs = [];
    const buffers = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const shard of group.paths) {
        const bytes = fs.readFileSync(safeJoin(modelDir, shard));
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  };
  return {modelJson, handler: {load: () => tf.io.getModelArtifactsForJSON(modelJson, loadWeights)}};
}

// A string tensor's file holds, per element, a uint32 little-endian byte count then the bytes
// (TF.js feeds string tensors as bytes and reads them as UTF-8 where it needs text).
function readStrings(bytes) {
  const values = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = bytes.readUInt32LE(offset);
    values.push(new Uint8Array(bytes.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return values;
}

function readInput(spec) {
  const bytes = fs.readFileSync(spec.file);
  if (spec.dtype === 'string') return tf.tensor(readStrings(bytes), spec.shape, 'string');
  const Typed = TYPED[spec.dtype];
  if (!Typed) throw new Error(`input ${spec.name}: dtype ${spec.dtype} cannot be fed to TF.js here`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.tensor(new Typed(buffer), spec.shape, spec.dtype);
}

async function writeOutput(resultDir, name, index, tensor) {
  const file = path.join(resultDir, `output${index}.bin`);
  if (tensor.dtype === 'string') {
    const parts = [];
    for (const bytes of await tensor.bytes()) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, Buffer.from(bytes));
    }
    fs.writeFileSync(file, Buffer.concat(parts));
  } else {
    const values = await tensor.data();
    fs.writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  return {name, dtype: tensor.dtype, shape: tensor.shape, file};
}

async function runLayers(handler, job, inputs) {
  const model = await tf.loadLayersModel(handler);
  // A Sequential model leaves inputNames/outputNames empty; its symbolic tensors carry the names.
  const inputNames = model.inputNames.length ? model.inputNames : model.inputs.map((t) => t.name);
  const outputNames = model.outputNames.length ? model.outputNames : model.outputs.map((t) => t.sourceLayer.name);
  const given = Object.keys(inputs);
  const ordered = inputNames.map((name) => {
    if (inputNames.length === 1 && given.length === 1) return inputs[given[0]];
    if (!(name in inputs)) {
      throw new Error(`layers model needs input ${JSON.stringify(name)}; got ${JSON.stringify(Object.keys(inputs))}`);
    }
    return inputs[name];
  });
  let outputs = model.predict(ordered.length === 1 ? ordered[0] : ordered);
  if (!Array.isArray(outputs)) outputs = [outputs];
  // Every output in model order: names repeat when one layer gives several (LSTM states).
  return {names: outputNames, tensors: outputs};
}

async function runGraph(handler, modelJson, job, inputs) {
  const model = await tf.loadGraphModel(handler);
  const signatureOutputs = modelJson.signature && modelJson.signature.outputs;
  const names = job.outputs || (signatureOutputs ? Object.keys(signatureOutputs) : model.outputNodes);
  let outputs = await model.executeAsync(inputs, names);
  if (!Array.isArray(outputs)) outputs = [outputs];
  return {names, tensors: outputs};
}

async function runJob(job) {
  const {modelJson, handler} = diskHandler(job.model_dir);
  const inputs = {};
  for (const spec of job.inputs) inputs[spec.name] = readInput(spec);
  const isGraph = modelJson.format === 'graph-model' || 'node' in (modelJson.modelTopology || {});
  const {names, tensors} = isGraph ? await runGraph(handler, modelJson, job, inputs) : await runLayers(handler, job, inputs);
  const written = [];
  for (const [index, name] of names.entries()) written.push(await writeOutput(job.result_dir, name, index, tensors[index]));
  fs.writeFileSync(path.join(job.result_dir, 'outputs.json'), JSON.stringify(written));
  tf.disposeVariables();
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
