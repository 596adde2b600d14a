// Tensor methods (`x.flatten()`, `x.reshape(...)`): what the umbrella `@tensorflow/tfjs` package
// adds to tfjs-core's Tensor class, which tfjs-layers calls (its orthogonal initializer runs
// `flatten` while a model loads) and which tfjs-build's slimmer set of packages would lack.
// Shared by the Node worker (worker.js) and the browser bundle (runtime/browser_bundle.py).
//
// Each method runs the tfjs-core op of the same name on the tensor, except the few below whose op
// differs. `METHODS` is tfjs-core's own list for the pinned version; a test compares the two.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.tfjsBuildChainedOps = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const METHODS = (
    'abs acos acosh add all any argMax argMin as1D as2D as3D as4D as5D asScalar asType asin ' +
    'asinh atan atan2 atanh avgPool batchNorm batchToSpaceND broadcastTo cast ceil clipByValue ' +
    'concat conv1d conv2d conv2dTranspose cos cosh cumprod cumsum depthToSpace depthwiseConv2d ' +
    'dilation2d div divNoNan dot elu equal erf euclideanNorm exp expandDims expm1 fft flatten ' +
    'floor floorDiv gather greater greaterEqual ifft irfft isFinite isInf isNaN leakyRelu less ' +
    'lessEqual localResponseNormalization log log1p logSigmoid logSoftmax logSumExp logicalAnd ' +
    'logicalNot logicalOr logicalXor matMul max maxPool maximum mean min minimum mirrorPad mod ' +
    'mul neg norm notEqual oneHot onesLike pad pool pow prelu prod reciprocal relu relu6 reshape ' +
    'reshapeAs resizeBilinear resizeNearestNeighbor reverse rfft round rsqrt selu ' +
    'separableConv2d sigmoid sign sin sinh slice softmax softplus spaceToBatchND split sqrt ' +
    'square squaredDifference squeeze stack step stridedSlice sub sum tan tanh tile toBool ' +
    'toFloat toInt topk transpose unique unsortedSegmentSum unstack where zerosLike'
  ).split(' ');

  // The methods whose op is not tfjs-core's function of the same name, called with the tensor.
  function special(tf) {
    const list = (x) => (x instanceof tf.Tensor ? [x] : x);
    return {
      as1D() { return tf.reshape(this, [this.size]); },
      as2D(...shape) { return tf.reshape(this, shape); },
      as3D(...shape) { return tf.reshape(this, shape); },
      as4D(...shape) { return tf.reshape(this, shape); },
      as5D(...shape) { return tf.reshape(this, shape); },
      asScalar() {
        if (this.size !== 1) throw new Error('The array must have only 1 element.');
        return tf.reshape(this, []);
      },
      asType(dtype) { return tf.cast(this, dtype); },
      flatten() { return tf.reshape(this, [this.size]); },
      reshapeAs(other) { return tf.reshape(this, other.shape); },
      toBool() { return tf.cast(this, 'bool'); },
      toFloat() { return tf.cast(this, 'float32'); },
      toInt() { return tf.cast(this, 'int32'); },
      concat(others, axis) { return tf.concat([this, ...list(others)], axis); },
      stack(others, axis) { return tf.stack([this, ...list(others)], axis); },
      where(condition, other) { return tf.where(condition, this, other); },
      resizeBilinear(...args) { return tf.image.resizeBilinear(this, ...args); },
      resizeNearestNeighbor(...args) { return tf.image.resizeNearestNeighbor(this, ...args); },
    };
  }

  // Add every method `tf.Tensor` lacks; returns the names added.
  function installChainedOps(tf) {
    const proto = tf.Tensor.prototype;
    const own = special(tf);
    const added = [];
    for (const name of METHODS) {
      if (typeof proto[name] === 'function') continue;
      const body = own[name] || function (...args) { return tf[name](this, ...args); };
      proto[name] = function (...args) {
        this.throwIfDisposed();
        return body.apply(this, args);
      };
      added.push(name);
    }
    return added;
  }

  return {METHODS, installChainedOps};
});
