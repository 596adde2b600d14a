'use strict';
// A long-lived TF.js worker in Node for one backend (cpu or wasm), fed jobs by tfjs-build.
//
// Usage: node worker.js PACKAGES_DIR BACKEND SCRATCH_DIR
//   PACKAGES_DIR holds node_modules with the pinned @tensorflow packages; SCRATCH_DIR is the
//   private directory its jobs' files live in (named here so that the process can be found).
// Protocol: one JSON object per line. Once TF.js is ready it writes {"ready": true, "tfjs",
// "backend", "memory"}; then for each line {"id", "model_dir", "inputs": [{"name", "dtype",
// "shape", "file"}], "outputs": [names] | null, "result_dir", "warm_runs", "explain"?} on stdin
// ("explain": run_model.js's explainLayers request) it writes
// {"id", "ok": true, "outputs": [{"name", "dtype", "shape", "file"}], "timings", "memory"} or
// {"id", "ok": false, "error", "memory"} on stdout, one job at a time. Tensors are raw
// little-endian files (strings: a uint32 LE byte count before each element's bytes). "memory" is
// {"tensors", "rss"} after the job. When stdin closes (tfjs-build is done, or was killed), it
// removes SCRATCH_DIR and exits.
//
// Everything TF.js or emscripten prints goes to stderr: stdout carries the protocol only.
const util = require('util');

for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = (...args) => process.stderr.write(util.format(...args) + '\n');
}

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const {inputTensor, runModel} = require('./run_model.js');
const {loadTfjs, diskHandler, arrayBuffer} = require('./node_tfjs.js');

const [packagesDir, backend, scratchDir] = process.argv.slice(2);
let tf = null;

function reply(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function memory() {
  return {tensors: tf.memory().numTensors, rss: process.memoryUsage().rss};
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

// Every tensor a job makes (inputs, intermediates a model forgot) is disposed when its scope
// ends; runModel disposes the model and its variables.
async function runJob(job) {
  tf.engine().startScope();
  try {
    const {modelJson, handler} = diskHandler(tf, job.model_dir);
    const inputs = {};
    for (const spec of job.inputs) inputs[spec.name] = inputTensor(tf, spec, arrayBuffer(fs.readFileSync(spec.file)));
    const {outputs, timings} = await runModel(tf, modelJson, handler, inputs, job.outputs, job.warm_runs, job.explain);
    return {outputs: outputs.map((output, index) => writeOutput(job.result_dir, index, output)), timings};
  } finally {
    tf.engine().endScope();
  }
}

async function handle(line) {
  let job;
  try {
    job = JSON.parse(line);
    const result = await runJob(job);
    reply({id: job.id, ok: true, ...result, memory: memory()});
  } catch (err) {
    const id = job && job.id !== undefined ? job.id : null;
    reply({id, ok: false, error: String(err && err.message ? err.message : err), memory: memory()});
  }
}

async function setUp() {
  tf = await loadTfjs(packagesDir, backend);
  reply({ready: true, tfjs: tf.version_core, backend: tf.getBackend(), memory: memory()});
}

let queue = setUp().catch((err) => {
  process.stderr.write(JSON.stringify({error: String(err && err.message ? err.message : err)}) + '\n');
  process.exit(1);
});
const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
lines.on('line', (line) => {
  queue = queue.then(() => handle(line));
});
// tfjs-build is done with it, or died without cleaning up (killed, or a forked build process that
// left by os._exit): the scratch directory goes too.
lines.on('close', () => {
  if (scratchDir) fs.rmSync(scratchDir, {recursive: true, force: true});
  process.exit(0);
});
