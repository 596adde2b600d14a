"""Tensor methods (``x.flatten()``), which tfjs-layers calls and only the umbrella package adds."""

from __future__ import annotations

import json
import re
import subprocess

from tfjs_build.runtime.node_packages import js_dir

CHECK = """
const path = require('path');
const {createRequire} = require('module');
const load = createRequire(path.join(process.argv[1], 'package.json'));
const tf = load('@tensorflow/tfjs-core');
load('@tensorflow/tfjs-backend-cpu');
const {METHODS, installChainedOps} = require(process.argv[2]);
(async () => {
  await tf.setBackend('cpu');
  const before = METHODS.filter((name) => typeof tf.Tensor.prototype[name] !== 'function');
  const added = installChainedOps(tf);
  const m = tf.tensor2d([[1, -2], [3, 4]]);
  const disposed = tf.scalar(1);
  disposed.dispose();
  let afterDispose = null;
  try { disposed.flatten(); } catch (err) { afterDispose = err.message; }
  console.log(JSON.stringify({
    before: before.length,
    added: added.length,
    missing: METHODS.filter((name) => typeof tf.Tensor.prototype[name] !== 'function'),
    again: installChainedOps(tf).length,
    flatten: m.flatten().arraySync(),
    as1D: m.as1D().shape,
    as3D: m.as3D(1, 2, 2).shape,
    asScalar: tf.tensor1d([7]).asScalar().shape,
    asType: m.asType('bool').dtype,
    toInt: tf.tensor1d([1.7]).toInt().arraySync(),
    toFloat: tf.tensor1d([1], 'int32').toFloat().dtype,
    reshapeAs: m.reshapeAs(tf.zeros([4, 1])).shape,
    concat: m.concat(m, 0).shape,
    concatList: m.concat([m, m], 1).shape,
    stack: m.stack(m).shape,
    where: m.where(tf.tensor2d([[true, false], [false, true]]), tf.zeros([2, 2])).arraySync(),
    resize: tf.zeros([1, 2, 2, 1]).resizeBilinear([4, 4]).shape,
    nearest: tf.zeros([1, 2, 2, 1]).resizeNearestNeighbor([3, 3]).shape,
    abs: m.abs().arraySync(),
    matMul: m.matMul(m).arraySync(),
    oneHot: tf.tensor1d([1], 'int32').oneHot(3).arraySync(),
    afterDispose,
  }));
})();
"""


def test_the_methods_are_those_of_the_pinned_tfjs_core(node_packages):
    ops = node_packages / "node_modules/@tensorflow/tfjs-core/dist/public/chained_ops"
    names = set()
    for script in ops.glob("*.js"):
        if not script.name.endswith("_test.js"):
            names |= set(re.findall(r"Class\(\)\.prototype\.(\w+) =", script.read_text()))
    listed = re.search(
        r"const METHODS = \(\n(.*?)\)\.split", (js_dir() / "chained_ops.js").read_text(), re.S
    )
    assert listed is not None
    methods = set("".join(re.findall(r"'([^']*)'", listed.group(1))).split())
    assert len(names) == 137 and methods == names


def test_every_method_computes_what_its_op_computes(node_packages):
    result = subprocess.run(
        ["node", "-e", CHECK, str(node_packages), str(js_dir() / "chained_ops.js")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout)
    assert found.pop("before") == found.pop("added") == 136  # tfjs-core itself has only cast
    assert found == {
        "missing": [],
        "again": 0,
        "flatten": [1, -2, 3, 4],
        "as1D": [4],
        "as3D": [1, 2, 2],
        "asScalar": [],
        "asType": "bool",
        "toInt": [1],
        "toFloat": "float32",
        "reshapeAs": [4, 1],
        "concat": [4, 2],
        "concatList": [2, 6],
        "stack": [2, 2, 2],
        "where": [[1, 0], [0, 4]],
        "resize": [1, 4, 4, 1],
        "nearest": [1, 3, 3, 1],
        "abs": [[1, 2], [3, 4]],
        "matMul": [[-5, -10], [15, 10]],
        "oneHot": [[0, 1, 0]],
        "afterDispose": "Tensor is disposed.",
    }
