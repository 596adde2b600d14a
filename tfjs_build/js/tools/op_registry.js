#!/usr/bin/env node
// Writes the table of TensorFlow op names that the installed @tensorflow/tfjs-converter executes,
// and the kernel names each TF.js backend registers, as JSON on stdout.
//
// Usage: node op_registry.js [NODE_MODULES_DIR] > tfjs_build/graph/tfjs_ops.json
//
// An op counts as executed when the converter's op list maps it (`tfOpName`) *and* one of the
// converter's executors has a `case` for it: the op list alone also names ops of optional add-ons
// (for example TensorFlow Decision Forests) that the stock executors reject.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const nodeModules = path.resolve(process.argv[2] || path.join(process.cwd(), 'node_modules'));
const converterDist = path.join(nodeModules, '@tensorflow', 'tfjs-converter', 'dist');

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

function mappedOps() {
  const dir = path.join(converterDist, 'operations', 'op_list');
  const ops = new Map();
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.js')) continue;
    for (const mapper of readJsonList(path.join(dir, name))) {
      ops.set(mapper.tfOpName, path.basename(name, '.js'));
    }
  }
  return ops;
}

function executedOps() {
  const dir = path.join(converterDist, 'operations', 'executors');
  const cases = new Set();
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('_executor.js')) continue;
    const source = fs.readFileSync(path.join(dir, name), 'utf8');
    for (const match of source.matchAll(/case\s+'([A-Za-z0-9_]+)'\s*:/g)) {
      cases.add(match[1]);
    }
  }
  return cases;
}

function backendKernels() {
  const tf = require(path.join(nodeModules, '@tensorflow', 'tfjs'));
  require(path.join(nodeModules, '@tensorflow', 'tfjs-backend-wasm'));
  const kernels = {};
  for (const backend of ['cpu', 'wasm', 'webgl']) {
    kernels[backend] = tf.getKernelsForBackend(backend).map((k) => k.kernelName).sort();
  }
  return kernels;
}

function main() {
  const mapped = mappedOps();
  const executed = executedOps();
  const ops = [...mapped.keys()].filter((op) => executed.has(op)).sort();
  const skipped = [...mapped.keys()].filter((op) => !executed.has(op)).sort();
  const version = JSON.parse(
    fs.readFileSync(path.join(converterDist, '..', 'package.json'), 'utf8')).version;
  const table = {
    generated_by: 'tfjs_build/js/tools/op_registry.js',
    tfjs_converter_version: version,
    ops,
    mapped_but_not_executed: skipped,
    kernels: backendKernels(),
  };
  process.stdout.write(JSON.stringify(table, null, 1) + '\n');
}

main();
