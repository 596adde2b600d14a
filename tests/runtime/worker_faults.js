// Preloaded into the real TF.js worker by tests (NODE_OPTIONS="--require worker_faults.js") to
// make it misbehave on cue:
// - TFJS_BUILD_TEST_NOISE=1: print a line that is not JSON on stdout first;
// - TFJS_BUILD_TEST_CRASH_DIR=DIR: die by SIGKILL on opening DIR's model.json (a job in flight);
//   with TFJS_BUILD_TEST_CRASH_ONCE=FILE, only while FILE does not exist (it creates it);
// - TFJS_BUILD_TEST_SLOW_SECONDS=S: take S seconds more over every model.json (a long job);
// - TFJS_BUILD_TEST_TRAP_DIR=DIR: throw the WebAssembly trap a wasm kernel throws when it reads
//   outside its memory, on opening DIR's model.json.
'use strict';
const fs = require('fs');
const path = require('path');

if (process.env.TFJS_BUILD_TEST_NOISE) process.stdout.write('not a reply\n');

const crashDir = process.env.TFJS_BUILD_TEST_CRASH_DIR;
const once = process.env.TFJS_BUILD_TEST_CRASH_ONCE;
const trapDir = process.env.TFJS_BUILD_TEST_TRAP_DIR;
const slowSeconds = Number(process.env.TFJS_BUILD_TEST_SLOW_SECONDS || 0);
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (slowSeconds && typeof file === 'string' && path.basename(file) === 'model.json') {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowSeconds * 1000);
  }
  if (crashDir && file === path.join(crashDir, 'model.json') && !(once && fs.existsSync(once))) {
    if (once) fs.writeFileSync(once, 'crashed\n');
    process.kill(process.pid, 'SIGKILL');
  }
  if (trapDir && file === path.join(trapDir, 'model.json')) {
    throw new WebAssembly.RuntimeError('memory access out of bounds');
  }
  return readFileSync.call(this, file, ...rest);
};
