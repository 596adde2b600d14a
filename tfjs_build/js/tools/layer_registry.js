#!/usr/bin/env node
// Print, as JSON, every class name in the serialization registry of the installed
// @tensorflow/tfjs-core and tfjs-layers, grouped by kind.
// Usage: NODE_PATH=<node_modules> node layer_registry.js > tfjs_layers.json
'use strict';

const tf = {...require('@tensorflow/tfjs-core'), ...require('@tensorflow/tfjs-layers')};

const classNameMap = tf.serialization.SerializationMap.getMap().classNameMap;

function baseClassOf(instance) {
  return Object.getPrototypeOf(instance.constructor);
}

const BASES = [
  ['layers', tf.layers.Layer],
  ['initializers', baseClassOf(tf.initializers.zeros())],
  ['constraints', baseClassOf(tf.constraints.nonNeg())],
  ['regularizers', baseClassOf(tf.regularizers.l1l2())],
  ['activations', Object.getPrototypeOf(classNameMap['relu'][0])],
  ['optimizers', tf.Optimizer],
];

function kindOf(cls) {
  for (const [kind, base] of BASES) {
    if (cls.prototype instanceof base) return kind;
  }
  throw new Error(`cannot classify serializable class ${cls.className}`);
}

const table = {
  generated_by: 'tfjs_build/js/tools/layer_registry.js',
  tfjs_version: tf.version_core,
  class_count: Object.keys(classNameMap).length,
  layers: [], activations: [], initializers: [], constraints: [], regularizers: [], optimizers: [],
};
for (const name of Object.keys(classNameMap).sort()) {
  table[kindOf(classNameMap[name][0])].push(name);
}
process.stdout.write(JSON.stringify(table, null, 2) + '\n');
