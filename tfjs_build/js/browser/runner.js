'use strict';
// The page tfjs-build drives over the DevTools protocol: set up one TF.js backend once, then
// run artifacts served from 127.0.0.1. Tensors cross the protocol as base64 of raw little-endian
// bytes (strings: a 4-byte length before each).

function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

function outputBytes(output) {
  if (output.dtype !== 'string') {
    const v = output.values;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  const total = output.values.reduce((sum, b) => sum + 4 + b.length, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const b of output.values) {
    view.setUint32(at, b.length, true);
    bytes.set(b, at + 4);
    at += 4 + b.length;
  }
  return bytes;
}

// What the page is doing, for tfjs-build to name when a run takes too long (tfjsBuildState).
let stage = 'idle';
// Why the backend's GPU context went away, once it has; a page whose context is lost cannot run
// anything again, and every run then fails at once with this line.
let lostReason = null;
let rejectLost = null;
const lost = new Promise((resolve, reject) => { rejectLost = reject; });
lost.catch(() => {});  // awaited by runs only; never an unhandled rejection

function contextLost(reason) {
  if (lostReason !== null) return;
  lostReason = reason;
  rejectLost(new Error(reason));
}

function webglEnvironment() {
  const gl = tf.backend().gpgpu.gl;
  gl.canvas.addEventListener('webglcontextlost', () => {
    contextLost('the browser lost the WebGL context (its GPU process was reset or ran out of memory)');
  });
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    webgl_renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
    webgl_version: tf.env().getNumber('WEBGL_VERSION'),
    float32_textures: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') && !tf.env().getBool('WEBGL_FORCE_F16_TEXTURES'),
  };
}

async function webgpuEnvironment() {
  const device = tf.backend().device;
  device.lost.then((info) => {
    contextLost(`the browser lost the WebGPU device (${info.reason || 'unknown'}: ${info.message || 'no message'})`);
  });
  // Chrome 131+ names the device's adapter; before, ask for the adapter again (the same one).
  const adapter = device.adapterInfo || (await navigator.gpu.requestAdapter()).info || {};
  return {
    webgpu_adapter: {
      vendor: String(adapter.vendor || ''),
      architecture: String(adapter.architecture || ''),
      device: String(adapter.device || ''),
      description: String(adapter.description || ''),
    },
    shader_f16: device.features.has('shader-f16'),
  };
}

// Each browser backend: the TF.js backend it runs, flags set before it starts, and what the page
// reports about where it ran (watching for the loss of its GPU context as it does).
const BACKENDS = {
  webgl: {tfjs: 'webgl', flags: {}, environment: webglEnvironment},
  'webgl-f16': {tfjs: 'webgl', flags: {WEBGL_FORCE_F16_TEXTURES: true}, environment: webglEnvironment},
  webgpu: {tfjs: 'webgpu', flags: {}, environment: webgpuEnvironment},
};

async function tfjsBuildSetup(backend) {
  const spec = BACKENDS[backend];
  if (!spec) throw new Error(`the browser runner has no backend ${backend}`);
  for (const [flag, value] of Object.entries(spec.flags)) tf.env().set(flag, value);
  if (spec.tfjs === 'webgpu' && !(navigator.gpu && await navigator.gpu.requestAdapter())) {
    throw new Error('TF.js could not start its webgpu backend: this browser offers no WebGPU adapter');
  }
  if (!(await tf.setBackend(spec.tfjs))) {
    throw new Error(`TF.js could not start its ${spec.tfjs} backend in this browser`);
  }
  await tf.ready();
  return {tfjs: tf.version_core, ...(await spec.environment())};
}

// {stage, lost}: what a run is waiting for, and why the context went (null while it is there).
function tfjsBuildState() {
  return {stage, lost: lostReason};
}

// job: {model_url, inputs: [{name, dtype, shape, data}], outputs: [names] | null, warm_runs,
// explain?} (explain: run_model.js's explainLayers request)
async function runJob(job) {
  stage = 'fetching model.json';
  const modelJson = await (await tfjsBuildModel.fetchWhole(job.model_url)).json();
  const inputs = {};
  for (const spec of job.inputs) {
    inputs[spec.name] = tfjsBuildModel.inputTensor(tf, spec, fromBase64(spec.data));
  }
  try {
    const loader = tfjsBuildModel.httpLoader(tf, job.model_url);
    const {outputs, timings} = await tfjsBuildModel.runModel(
      tf, modelJson, loader, inputs, job.outputs, job.warm_runs, job.explain, (now) => { stage = now; });
    stage = 'sending the outputs';
    return {
      outputs: outputs.map((o) => ({name: o.name, dtype: o.dtype, shape: o.shape, data: toBase64(outputBytes(o))})),
      timings,
    };
  } finally {
    for (const tensor of Object.values(inputs)) tensor.dispose();
  }
}

// job: {model_url, inputs: [{name, dtype, shape, data}], outputs: [names] | null, warm_runs}.
// A lost context ends the run at once, naming it (TF.js itself may wait for ever on a fence).
async function tfjsBuildRun(job) {
  if (lostReason !== null) throw new Error(lostReason);
  try {
    return await Promise.race([runJob(job), lost]);
  } catch (err) {
    if (lostReason !== null) throw new Error(lostReason);
    throw err;
  } finally {
    stage = 'idle';
  }
}
