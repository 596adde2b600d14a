#!/usr/bin/env node
// Writes the table of TensorFlow op names that the installed @tensorflow/tfjs-converter executes,
// and the kernel names each TF.js backend registers, as JSON on stdout.
//
// Usage: node op_registry.js [NODE_MODULES_DIR] > tfjs_build/graph/tfjs_ops.json
//
// An op counts as executed when an op list the converter loads maps it (`tfOpName`) *and* one of
// the converter's executors has a `case` for it: the op list alone also names ops of optional
// add-ons (for example TensorFlow Decision Forests) that the stock executors reject.
//
// Beyond op names the table records what makes an op fail on one backend only:
// - kernels_reached: per op, the kernels its executor's tfjs-core ops may run (following the ops
//   they call) that some backend does not register, or that some backend runs channels-last only
//   (RFFT reaches Complex, FFT, Real and Imag, which wasm lacks); gradient kernels are left out;
// - channels_last_only: per backend, the kernels whose source refuses a channels-first dataFormat;
// - ignored_attrs: per op, the TensorFlow attributes the converter marks `notSupported` (it runs
//   the op as if they had their default value).
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const nodeModules = path.resolve(process.argv[2] || path.join(process.cwd(), 'node_modules'));
const converterDist = path.join(nodeModules, '@tensorflow', 'tfjs-converter', 'dist');
const opsDir = path.join(nodeModules, '@tensorflow', 'tfjs-core', 'dist', 'ops');
// Backends a release has a package for (tfjs-backend-webgpu starts at 4.6.0).
const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'].filter(
    (backend) => fs.existsSync(path.join(nodeModules, '@tensorflow', `tfjs-backend-${backend}`)));

function readSource(file) {
  return fs.readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
}

function readJsonList(file) {
  // Each op-list module is `export const json = [ ...array literal... ];`.
  const source = fs.readFileSync(file, 'utf8');
  if (!source.includes('export const json =')) {
    throw new Error(`${file}: no "export const json" found`);
  }
  const context = {};
  vm.runInNewContext(source.replace('export const json =', 'json ='), context);
  return context.json;
}

// The op lists the converter's OperationMapper imports: TF.js 4.22 ships ragged.js but does not
// import it, so RaggedTensorToTensor & co. fail as "Unknown op" despite their executor.
function opMappers() {
  const operations = path.join(converterDist, 'operations');
  const mapperSource = readSource(path.join(operations, 'operation_mapper.js'));
  const mappers = new Map();
  for (const m of mapperSource.matchAll(/import \* as \w+ from '\.\/op_list\/(\w+)'/g)) {
    for (const mapper of readJsonList(path.join(operations, 'op_list', `${m[1]}.js`))) {
      mappers.set(mapper.tfOpName, mapper);
    }
  }
  return mappers;
}

// The tfjs-core op functions each executor `case` calls (`ops.conv2d(`, `ops.fused.conv2d(`);
// cases that fall through to one body share its calls.
function executorCalls() {
  const dir = path.join(converterDist, 'operations', 'executors');
  const calls = new Map();
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('_executor.js')) continue;
    let pending = [];
    for (const part of readSource(path.join(dir, name)).split(/(?=case\s+'[A-Za-z0-9_]+'\s*:)/)) {
      const label = part.match(/^case\s+'([A-Za-z0-9_]+)'\s*:/);
      if (!label) continue;
      pending.push(label[1]);
      const body = part.slice(label[0].length);
      if (!body.trim()) continue;
      // `ops.fused.conv2d` differs from `ops.conv2d`; other namespaces (`ops.spectral.rfft`) do not
      // reuse top-level names.
      const called = [...body.matchAll(/\bops\.(?:([a-z]+)\.)?([A-Za-z0-9_]+)\(/g)]
          .map((m) => (m[1] === 'fused' ? `fused.${m[2]}` : m[2]));
      for (const op of pending) calls.set(op, called);
      pending = [];
    }
  }
  return calls;
}

// tfjs-core's op modules: for each, the kernels it runs and the op modules it imports.
function opModules() {
  const modules = new Map();
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (fs.statSync(file).isDirectory()) walk(file);
      else if (name.endsWith('.js') && !name.endsWith('_test.js')) modules.set(file, readSource(file));
    }
  };
  walk(opsDir);
  const graph = new Map();
  for (const [file, source] of modules) {
    const entry = {kernels: new Set(), imports: []};
    for (const m of source.matchAll(/import \{([^}]*)\} from '(\.[^']*)'/g)) {
      const names = m[1].split(',').map((n) => n.trim().split(/\s+as\s+/)[0]);
      if (m[2].endsWith('kernel_names')) {
        for (const kernel of names) if (source.includes(`runKernel(${kernel},`)) entry.kernels.add(kernel);
      } else {
        const target = path.resolve(path.dirname(file), m[2]) + '.js';
        if (modules.has(target)) entry.imports.push(target);
      }
    }
    graph.set(file, entry);
  }
  return {modules, graph};
}

// Which module defines each op function the executors call: ops.js and fused_ops.js re-export
// them (`export { a } from './a'`, `import { rfft } from './spectral/rfft'`, `export * from`).
function opFunctionModules(modules) {
  const where = new Map();
  const scan = (file, prefix) => {
    const source = modules.get(file);
    for (const m of source.matchAll(/(?:import|export) \{([^}]*)\} from '(\.[^']*)'/g)) {
      const target = path.resolve(path.dirname(file), m[2]) + '.js';
      for (const item of m[1].split(',')) {
        const name = item.trim().split(/\s+as\s+/).pop();
        if (name && modules.has(target)) where.set(prefix + name, target);
      }
    }
    for (const m of source.matchAll(/export \* from '(\.[^']*)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]) + '.js';
      for (const d of (modules.get(target) || '').matchAll(/export (?:const|function) ([A-Za-z0-9_]+)/g)) {
        where.set(prefix + d[1], target);
      }
    }
  };
  scan(path.join(opsDir, 'ops.js'), '');
  scan(path.join(opsDir, 'fused_ops.js'), 'fused.');
  return where;
}

// Gradient kernels: op modules import them for their gradients, which inference never runs.
const GRADIENT_KERNEL = /Backprop|Grad$/;

function reachedKernels(op, calls, where, graph) {
  const kernels = new Set();
  const seen = new Set();
  const stack = (calls.get(op) || []).map((fn) => where.get(fn)).filter(Boolean);
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const entry = graph.get(file);
    for (const kernel of entry.kernels) {
      if (kernel === op || !GRADIENT_KERNEL.test(kernel)) kernels.add(kernel);
    }
    stack.push(...entry.imports);
  }
  return kernels;
}

function backendKernels() {
  // tfjs-backend-webgpu 4.13.0 to 4.15.0 read navigator.gpu when loaded; Node 20 has no navigator.
  if (globalThis.navigator === undefined) globalThis.navigator = {};
  const tf = require(path.join(nodeModules, '@tensorflow', 'tfjs-core'));
  for (const backend of BACKENDS) require(path.join(nodeModules, '@tensorflow', `tfjs-backend-${backend}`));
  const kernels = {};
  for (const backend of BACKENDS) {
    kernels[backend] = tf.getKernelsForBackend(backend).map((k) => k.kernelName).sort();
  }
  return kernels;
}

// Kernels whose source throws on a channels-first dataFormat ("does not support dataFormat").
function channelsLastOnly() {
  const result = {};
  for (const backend of BACKENDS) {
    const dir = path.join(nodeModules, '@tensorflow', `tfjs-backend-${backend}`, 'dist', 'kernels');
    result[backend] = fs.readdirSync(dir)
        .filter((name) => name.endsWith('.js'))
        .filter((name) => /does not support dataFormat/.test(readSource(path.join(dir, name))))
        .map((name) => path.basename(name, '.js'))
        .sort();
  }
  return result;
}

function main() {
  const mappers = opMappers();
  const calls = executorCalls();
  const ops = [...mappers.keys()].filter((op) => calls.has(op)).sort();
  const skipped = [...mappers.keys()].filter((op) => !calls.has(op)).sort();
  const version = JSON.parse(
    fs.readFileSync(path.join(converterDist, '..', 'package.json'), 'utf8')).version;
  const kernels = backendKernels();
  const channelsLast = channelsLastOnly();
  const everywhere = new Set(kernels.cpu.filter((k) => BACKENDS.every((b) => kernels[b].includes(k))));
  const telling = (kernel) => !everywhere.has(kernel) || BACKENDS.some((b) => channelsLast[b].includes(kernel));
  const {modules, graph} = opModules();
  const where = opFunctionModules(modules);
  const reached = {};
  const ignored = {};
  for (const op of ops) {
    const found = [...reachedKernels(op, calls, where, graph)].filter(telling).sort();
    if (found.length) reached[op] = found;
    const attrs = (mappers.get(op).attrs || []).filter((a) => a.notSupported).map((a) => a.tfName);
    if (attrs.length) ignored[op] = attrs.sort();
  }
  const table = {
    generated_by: 'tfjs_build/js/tools/op_registry.js',
    tfjs_converter_version: version,
    ops,
    mapped_but_not_executed: skipped,
    kernels,
    kernels_reached: reached,
    channels_last_only: channelsLast,
    ignored_attrs: ignored,
  };
  process.stdout.write(JSON.stringify(table, null, 1) + '\n');
}

main();
