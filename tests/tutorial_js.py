"""Run an artifact the way application JavaScript does: ``model.predict(x)`` in real TF.js (the
project's pinned packages in Node), and report what came back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from tfjs_build.runtime.node_packages import ensure_node_packages, js_dir, node_executable

_SCRIPT = """
const [packages, nodeTfjs, modelDir, request] = process.argv.slice(1);
const {loadTfjs, diskHandler} = require(nodeTfjs);
(async () => {
  const tf = await loadTfjs(packages, 'cpu');
  const {modelJson, handler} = diskHandler(tf, modelDir);
  const graph = modelJson.format === 'graph-model';
  const model = graph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const {inputs} = JSON.parse(request);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]));
  const names = Object.keys(tensors);
  const x = names.length === 1 ? tensors[names[0]] : tensors;
  const describe = (v) => v instanceof tf.Tensor ? {tensor: Array.from(v.dataSync()), shape: v.shape}
    : Array.isArray(v) ? {array: v.map(describe)}
    : {map: Object.fromEntries(Object.entries(v).map(([k, t]) => [k, describe(t)]))};
  let dataSync = null;
  let error = null;
  try {
    dataSync = Array.from(model.predict(x).dataSync());  // the line every tutorial has
  } catch (err) {
    error = err.message;
  }
  console.log(JSON.stringify({predicted: describe(model.predict(x)), dataSync, error,
    metadata: modelJson.userDefinedMetadata || null,
    loadedMetadata: (graph ? model.metadata : model.getUserDefinedMetadata()) || null}));
})().catch((err) => { console.error(err.stack || err); process.exit(1); });
"""


def predict_in_tfjs(model_dir: Path, inputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """``model.predict(x)`` (x the one input's Tensor, or a map of them) in TF.js on cpu:
    ``predicted`` describes what came back (``{"tensor": values}``, ``{"array": [...]}`` or
    ``{"map": {...}}``), ``dataSync`` is ``model.predict(x).dataSync()`` or ``None`` with
    ``error`` saying why, ``metadata`` is model.json's ``userDefinedMetadata`` and
    ``loadedMetadata`` what the loaded model gives (``model.metadata`` of a graph model,
    ``model.getUserDefinedMetadata()`` of a layers model)."""
    request = {
        "inputs": {
            name: {"values": a.reshape(-1).tolist(), "shape": list(a.shape), "dtype": str(a.dtype)}
            for name, a in inputs.items()
        }
    }
    result = subprocess.run(
        [
            node_executable(),
            "-e",
            _SCRIPT,
            str(ensure_node_packages()),
            str(js_dir() / "node_tfjs.js"),
            str(model_dir),
            json.dumps(request),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer
