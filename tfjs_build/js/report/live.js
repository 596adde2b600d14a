'use strict';
// The report's live check: in the visitor's browser, load each artifact with the bundled TF.js,
// run the probe inputs the build stored beside it (parity-probe.safetensors), compare with the
// stored reference outputs under the same rule as the build, and write PASS or FAIL into the
// model's element carrying data-live-parity. The visitor picks the backend with the page's form
// (?backend=webgl, webgl-f16, webgpu or cpu); without one, webgl where the browser has it.
//
// Rule: |candidate - reference| <= atol + rtol * |reference| + scale_tol * max|reference|;
// NaN must meet NaN and infinities must match; integer and bool outputs must be equal.

const DTYPES = {F32: [Float32Array, 'float32'], I32: [Int32Array, 'int32'], BOOL: [Uint8Array, 'bool']};

function readProbe(buffer) {
  const view = new DataView(buffer);
  const length = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length)));
  const inputs = [];
  const outputs = [];
  const notStored = JSON.parse((header.__metadata__ || {}).not_stored || '[]');
  for (const [key, spec] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const [Typed, dtype] = DTYPES[spec.dtype];
    const [begin, end] = spec.data_offsets;
    const values = new Typed(buffer.slice(8 + length + begin, 8 + length + end));
    const split = key.indexOf(':');
    const entry = {name: key.slice(split + 1), dtype, shape: spec.shape, values};
    (key.slice(0, split) === 'input' ? inputs : outputs).push(entry);
  }
  return {inputs, outputs, notStoredInputs: notStored.filter((k) => k.startsWith('input:')).map((k) => k.slice(6))};
}

function compare(reference, candidate, tolerance) {
  const exact = reference.dtype !== 'float32';
  const ref = reference.values;
  const got = candidate.values;
  if (ref.length !== got.length || String(reference.shape) !== String(candidate.shape)) {
    return {name: reference.name, passed: false, detail: `shape [${candidate.shape}] in TF.js, [${reference.shape}] stored`};
  }
  let scale = 0;
  for (const r of ref) if (Number.isFinite(r)) scale = Math.max(scale, Math.abs(r));
  let maxAbs = 0;
  let worst = -1;
  let worstRatio = -1;
  let bad = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i];
    const c = got[i];
    let diff = Math.abs(c - r);
    if ((Number.isNaN(r) && Number.isNaN(c)) || (r === c)) diff = 0;
    else if (Number.isNaN(diff)) diff = Infinity;
    const allowed = exact ? 0 : tolerance.atol + tolerance.rtol * (Number.isFinite(r) ? Math.abs(r) : 0) + tolerance.scale_tol * scale;
    if (diff > allowed) bad++;
    maxAbs = Math.max(maxAbs, diff);
    const ratio = diff / Math.max(allowed, Number.MIN_VALUE);
    if (ratio > worstRatio) { worstRatio = ratio; worst = i; }
  }
  return {name: reference.name, passed: bad === 0, maxAbs, bad, size: ref.length, worst, ref: ref[worst], got: got[worst]};
}

function fmt(x) {
  return typeof x === 'number' ? x.toPrecision(3) : String(x);
}

function describe(result) {
  if (result.detail) return `${result.name}: ${result.detail}`;
  const line = `${result.name}: max abs error ${fmt(result.maxAbs)}`;
  if (result.passed) return line;
  return `${line}, ${result.bad} of ${result.size} element(s) beyond tolerance, worst at flat index ${result.worst} (stored ${fmt(result.ref)}, TF.js ${fmt(result.got)})`;
}

function backendName() {
  const name = tf.getBackend();
  if (name === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) return 'webgl-f16';
  if (name === 'webgl' && tf.env().getBool('WEBGL_FORCE_F16_TEXTURES')) return 'webgl-f16';
  return name;
}

// The backend the visitor chose (?backend=NAME, from the page's form); none: TF.js's own choice.
const CHOICES = {
  webgl: {tfjs: 'webgl', flags: {}},
  'webgl-f16': {tfjs: 'webgl', flags: {WEBGL_FORCE_F16_TEXTURES: true}},
  webgpu: {tfjs: 'webgpu', flags: {}},
  cpu: {tfjs: 'cpu', flags: {}},
};

function chosenBackend() {
  return new URLSearchParams(location.search).get('backend') || '';
}

// Mark the form's choice, and grey out webgpu where the browser has no WebGPU.
function showChoices(chosen) {
  const select = document.querySelector('select[name=backend]');
  if (!select) return;
  for (const option of select.options) {
    if (option.value === chosen) option.selected = true;
    if (option.value === 'webgpu' && !navigator.gpu) {
      option.disabled = true;
      option.textContent = 'webgpu (not in this browser)';
    }
  }
}

// Start the chosen backend; a reason it cannot run here, or null once it is ready.
async function startBackend(chosen) {
  if (!chosen) {  // webgl where the browser has it (TF.js itself would prefer webgpu), else TF.js's pick
    if (!(await tf.setBackend('webgl'))) await tf.ready();
    return null;
  }
  const spec = CHOICES[chosen];
  if (!spec) return `unknown backend ${chosen}; choose one of ${Object.keys(CHOICES).join(', ')}`;
  if (spec.tfjs === 'webgpu' && !(navigator.gpu && await navigator.gpu.requestAdapter())) {
    return 'this browser offers no WebGPU adapter';
  }
  for (const [flag, value] of Object.entries(spec.flags)) tf.env().set(flag, value);
  if (!(await tf.setBackend(spec.tfjs))) return `TF.js could not start its ${spec.tfjs} backend here`;
  await tf.ready();
  return null;
}

async function checkModel(element) {
  const tolerances = JSON.parse(element.dataset.tolerances);
  const backend = backendName();
  const tolerance = tolerances[backend] || tolerances.cpu;
  const probe = readProbe(await (await tfjsBuildModel.fetchWhole(element.dataset.probeUrl, {cache: 'no-store'})).arrayBuffer());
  if (probe.notStoredInputs.length) return {backend, skipped: `string inputs (${probe.notStoredInputs.join(', ')}) are not in the probe file`};
  const modelJson = await (await tfjsBuildModel.fetchWhole(element.dataset.modelUrl, {cache: 'no-store'})).json();
  const inputs = {};
  for (const spec of probe.inputs) inputs[spec.name] = tf.tensor(spec.values, spec.shape, spec.dtype);
  try {
    const loader = tfjsBuildModel.httpLoader(tf, element.dataset.modelUrl, {cache: 'no-store'});
    const wanted = probe.outputs.map((o) => o.name);
    const {outputs, timings} = await tfjsBuildModel.runModel(tf, modelJson, loader, inputs, wanted, 0, null);
    const results = probe.outputs.map((reference, i) => compare(reference, outputs[i], tolerance));
    return {backend, results, timings};
  } finally {
    for (const tensor of Object.values(inputs)) tensor.dispose();
  }
}

function show(element, status, text) {
  element.dataset.status = status;
  element.className = `live live-${status}`;
  element.textContent = text;
}

async function runLiveChecks() {
  const elements = Array.from(document.querySelectorAll('[data-live-parity]'));
  if (location.protocol === 'file:') {
    for (const element of elements) {
      show(element, 'not-run', 'not run: serve the project root over HTTP (python -m http.server) and open the report there');
    }
    document.body.dataset.liveChecks = 'done';
    return;
  }
  const chosen = chosenBackend();
  showChoices(chosen);
  const unavailable = await startBackend(chosen);
  if (unavailable) {
    for (const element of elements) show(element, 'not-run', `not run on ${chosen}: ${unavailable}`);
    document.body.dataset.liveChecks = 'done';
    return;
  }
  for (const element of elements) {
    if (!element.dataset.probeUrl) {
      element.dataset.status = 'not-run';  // no probe stored: the text already says why
      continue;
    }
    show(element, 'running', `running on ${backendName()}…`);
    try {
      const {backend, results, timings, skipped} = await checkModel(element);
      if (skipped) {
        show(element, 'not-run', `not run: ${skipped}`);
        continue;
      }
      const failed = results.filter((r) => !r.passed);
      const took = `load ${timings.load_ms.toFixed(0)} ms, predict ${timings.predict_ms.toFixed(0)} ms`;
      if (failed.length) {
        show(element, 'fail', `FAIL on ${backend}: ${failed.map(describe).join('; ')}`);
      } else {
        show(element, 'pass', `PASS on ${backend}: ${results.map(describe).join('; ')} (${took})`);
      }
    } catch (err) {
      show(element, 'fail', `FAIL: TF.js could not run it here: ${err && err.message ? err.message : err}`);
    }
  }
  document.body.dataset.liveChecks = 'done';
}

window.addEventListener('load', () => { runLiveChecks(); });
