// Load a TF.js artifact, run it on named inputs and name its outputs: shared by the Node worker
// (worker.js), the browser runner (browser/runner.js) and the report's live check (report/live.js),
// so that layers and graph models get their inputs and name their outputs the same way everywhere.
//
// Every function takes the `tf` namespace as its first argument; nothing here touches the disk,
// the network or the DOM.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.tfjsBuildModel = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const TYPED = {float32: Float32Array, int32: Int32Array, bool: Uint8Array};

  function isGraph(modelJson) {
    return modelJson.format === 'graph-model' || 'node' in (modelJson.modelTopology || {});
  }

  // A string tensor's bytes hold, per element, a uint32 little-endian byte count then the bytes.
  function readStrings(buffer) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    const values = [];
    for (let offset = 0; offset < bytes.length;) {
      const length = view.getUint32(offset, true);
      values.push(bytes.slice(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    return values;
  }

  function inputTensor(tf, spec, buffer) {
    if (spec.dtype === 'string') return tf.tensor(readStrings(buffer), spec.shape, 'string');
    const Typed = TYPED[spec.dtype];
    if (!Typed) throw new Error(`input ${spec.name}: dtype ${spec.dtype} cannot be fed to TF.js here`);
    return tf.tensor(new Typed(buffer), spec.shape, spec.dtype);
  }

  // A layers model's inputs in its own order: by name (by position for one input).
  function orderedInputs(model, inputs) {
    // A Sequential model leaves inputNames empty; its symbolic tensors carry the names.
    const inputNames = model.inputNames.length ? model.inputNames : model.inputs.map((t) => t.name);
    const given = Object.keys(inputs);
    return inputNames.map((name) => {
      if (inputNames.length === 1 && given.length === 1) return inputs[given[0]];
      if (!(name in inputs)) {
        throw new Error(`layers model needs input ${JSON.stringify(name)}; got ${JSON.stringify(given)}`);
      }
      return inputs[name];
    });
  }

  function predictLayers(model, inputs) {
    const outputNames = model.outputNames.length ? model.outputNames : model.outputs.map((t) => t.sourceLayer.name);
    const ordered = orderedInputs(model, inputs);
    let outputs = model.predict(ordered.length === 1 ? ordered[0] : ordered);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const named = {};
    outputKeys(outputNames).forEach((key, i) => { named[key] = outputs[i]; });
    return named;
  }

  // Keys for a layers model's outputs, in order: their names, or `name.position` where a name
  // repeats (an LSTM's output and states all carry the layer's name); as output_keys in Python.
  function outputKeys(names) {
    const counts = {};
    for (const name of names) counts[name] = (counts[name] || 0) + 1;
    return names.map((name, i) => (counts[name] === 1 ? name : `${name}.${i}`));
  }

  async function predictGraph(model, modelJson, inputs, wanted) {
    const signatureOutputs = modelJson.signature && modelJson.signature.outputs;
    const names = wanted || (signatureOutputs ? Object.keys(signatureOutputs) : model.outputNodes);
    let outputs = await model.executeAsync(inputs, names);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const named = {};
    names.forEach((name, i) => { named[name] = outputs[i]; });
    return named;
  }

  // The key of a layer's output: its name, `@node` for a shared layer's later calls, `#tensor`
  // for a layer's later outputs (as layer_key in parity/layer_trace.py).
  function layerKey(name, node, tensor) {
    return name + (node ? `@${node}` : '') + (tensor ? `#${tensor}` : '');
  }

  // The model (or nested model) at `within`, a path of layer names from the top.
  function nestedModel(model, within) {
    let target = model;
    for (const name of within || []) target = target.getLayer(name);
    return target;
  }

  // Every call of a layer in `target`'s graph, inputs first (a depth-first walk back from its
  // outputs): [{layer, node, call}], `call` numbering a shared layer's calls in node order (as
  // _calls in parity/layer_trace.py).
  function layerCalls(target) {
    const seen = new Map();
    const calls = [];
    const visit = (tensor) => {
      const layer = tensor.sourceLayer;
      if (!seen.has(layer)) seen.set(layer, new Set());
      if (seen.get(layer).has(tensor.nodeIndex)) return;
      seen.get(layer).add(tensor.nodeIndex);
      const node = layer.inboundNodes[tensor.nodeIndex];
      for (const input of node.inputTensors) visit(input);
      calls.push({layer, node, nodeIndex: tensor.nodeIndex});
    };
    for (const output of target.outputs) visit(output);
    for (const entry of calls) {
      const indices = [...seen.get(entry.layer)].sort((a, b) => a - b);
      entry.call = indices.indexOf(entry.nodeIndex);
    }
    return calls;
  }

  // Explaining a divergence (parity/divergence.py asks): every layer's output of the model at
  // `explain.within` on `inputs` ({kind: "trace"}), or one call of one layer on given inputs
  // ({kind: "layer", layer, node}; inputs by position, `weight:NAME` ones replacing that weight
  // of the layer first). Returns [name, tensor] pairs in topological order.
  function explainLayers(tf, model, inputs, explain) {
    const target = nestedModel(model, explain.within);
    const positional = Object.keys(inputs).filter((name) => !name.startsWith('weight:')).map((name) => inputs[name]);
    if (explain.kind === 'layer') {
      const layer = target.getLayer(explain.layer);
      for (const name of Object.keys(inputs).filter((key) => key.startsWith('weight:'))) {
        const variable = layer.weights.find((w) => w.originalName === name.slice(7));
        if (!variable) throw new Error(`layer ${explain.layer} has no weight ${name.slice(7)}`);
        variable.write(inputs[name]);
      }
      const call = layerCalls(target).find((c) => c.layer === layer && c.call === (explain.node || 0));
      let outputs = layer.apply(positional.length === 1 ? positional[0] : positional, call.node.callArgs || {});
      if (!Array.isArray(outputs)) outputs = [outputs];
      return outputs.map((tensor, i) => [layerKey(layer.name, call.call, i), tensor]);
    }
    const names = [];
    const symbolic = [];
    for (const {layer, node, call} of layerCalls(target)) {
      if (layer.getClassName() === 'InputLayer') continue;
      node.outputTensors.forEach((tensor, i) => {
        names.push(layerKey(layer.name, call, i));
        symbolic.push(tensor);
      });
    }
    const traced = tf.model({inputs: target.inputs, outputs: symbolic});
    const fed = explain.within && explain.within.length ? positional : orderedInputs(target, inputs);
    let outputs = traced.predict(fed.length === 1 ? fed[0] : fed);
    if (!Array.isArray(outputs)) outputs = [outputs];
    return names.map((name, i) => [name, outputs[i]]);
  }

  async function explained(tf, model, inputs, explain) {
    const pairs = explainLayers(tf, model, inputs, explain);
    const result = [];
    for (const [name, tensor] of pairs) {
      result.push({name, dtype: tensor.dtype, shape: tensor.shape, values: await tensor.data()});
    }
    for (const [, tensor] of pairs) tensor.dispose();
    return result;
  }

  // TF.js asks for every weight shard at once and reads no body until all of them have answered.
  // Over HTTP/1.1 a browser keeps at most six connections to one server, and it stops receiving a
  // response whose body nobody reads once its buffer (some hundred KB) is full: with more than six
  // shards larger than that, no connection ever frees up for the seventh, and loading waits for
  // ever with the page idle. Reading each body before answering frees its connection. A missing
  // shard says so (TF.js would read an error page as weights).
  async function fetchWhole(url, init) {
    const response = await fetch(url, init);
    if (!response.ok) throw new Error(`${String(url).split('/').pop()}: HTTP ${response.status}`);
    const body = await response.arrayBuffer();
    return new Response(body, {status: response.status, statusText: response.statusText, headers: response.headers});
  }

  // A URL's loader that never stalls on many large shards (see fetchWhole).
  function httpLoader(tf, url, requestInit) {
    return tf.io.http(url, {requestInit, fetchFunc: fetchWhole});
  }

  async function loadModel(tf, modelJson, source) {
    return isGraph(modelJson) ? tf.loadGraphModel(source) : tf.loadLayersModel(source);
  }

  async function predict(tf, model, modelJson, inputs, wanted) {
    const named = isGraph(modelJson)
      ? await predictGraph(model, modelJson, inputs, wanted)
      : predictLayers(model, inputs);
    const order = wanted || Object.keys(named);
    for (const name of order) {
      if (!(name in named)) {
        throw new Error(`model has no output ${JSON.stringify(name)}; it has ${JSON.stringify(Object.keys(named))}`);
      }
    }
    const result = [];
    for (const name of order) {
      const tensor = named[name];
      let values = tensor.dtype === 'string' ? await tensor.bytes() : await tensor.data();
      // A cast that loses nothing (bool to float32 on cpu) relabels the tensor and keeps its
      // storage: its data come back in the old dtype's array. Read them in the dtype it reports.
      const Typed = TYPED[tensor.dtype];
      if (Typed && !(values instanceof Typed)) values = Typed.from(values);
      result.push({name, dtype: tensor.dtype, shape: tensor.shape, values});
    }
    for (const tensor of new Set(Object.values(named))) tensor.dispose();
    return result;
  }

  function now() {
    return typeof performance !== 'undefined' ? performance.now() : Date.now();
  }

  // Load the model from `source` (a URL or an IO handler), predict `inputs` (name -> tensor),
  // and return {outputs: [{name, dtype, shape, values}], timings: {load_ms, predict_ms,
  // warm_predict_ms}}. `warmRuns` more predictions (after the first, which on webgl compiles
  // shaders) give warm_predict_ms, their median; with none it is null. With `explain` (layers
  // models), the outputs are the layers' instead (see explainLayers). `stage` (optional) is told
  // what the run is doing as it goes, for a caller that must say what it was waiting for when a
  // run takes too long.
  async function runModel(tf, modelJson, source, inputs, wanted, warmRuns, explain, stage) {
    const tell = stage || (() => {});
    tell('loading the model and its weights');
    let started = now();
    const model = await loadModel(tf, modelJson, source);
    const loadMs = now() - started;
    try {
      tell('the first prediction (on a GPU backend: compiling its shaders)');
      started = now();
      if (explain) {
        const outputs = await explained(tf, model, inputs, explain);
        return {outputs, timings: {load_ms: loadMs, predict_ms: now() - started, warm_predict_ms: null}};
      }
      const outputs = await predict(tf, model, modelJson, inputs, wanted);
      const predictMs = now() - started;
      const warm = [];
      for (let i = 0; i < (warmRuns || 0); i++) {
        tell(`warm prediction ${i + 1} of ${warmRuns}`);
        started = now();
        await predict(tf, model, modelJson, inputs, wanted);
        warm.push(now() - started);
      }
      warm.sort((a, b) => a - b);
      const warmMs = warm.length ? warm[Math.floor(warm.length / 2)] : null;
      return {outputs, timings: {load_ms: loadMs, predict_ms: predictMs, warm_predict_ms: warmMs}};
    } finally {
      model.dispose();
      tf.disposeVariables();
    }
  }

  return {isGraph, inputTensor, fetchWhole, httpLoader, loadModel, predict, runModel};
});
