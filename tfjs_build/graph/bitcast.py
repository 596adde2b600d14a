"""``Bitcast`` between float32 and int32, which TF.js lacks, as arithmetic on the value.

A float32 is ``sign | exponent << 23 | mantissa``. For a normal ``|x|`` the exponent is the
``e`` with ``2^e <= |x| < 2^(e+1)`` (``floor(log2 |x|)``, corrected by one either way where the
logarithm rounds), and the mantissa ``(|x| / 2^e - 1) * 2^23``: both exact, as scaling by a power
of two is (the powers come from a table: wasm's ``Pow`` is not exact). A subnormal's (and zero's) bits are ``|x| * 2^149``; infinities and NaN have fixed bits
(NaN the canonical ``0x7fc00000``: TF.js keeps no NaN payload); the sign bit adds ``-2^31``.
The way back drops the sign bit by subtracting ``-2^31``, splits the fields (a float32 estimate
of ``magnitude >> 23``, corrected by one) and scales them. All of it is exact
in float32 and in 32-bit integers, which cpu and wasm compute; webgl holds integers as floats
(exact to 2^24 only), so with a webgl target the node is left for the op check to name.
"""

from __future__ import annotations

import math

import numpy as np

from tfjs_build.graph.graph_edit import DType
from tfjs_build.graph.scope import Builder
from tfjs_build.graph.shape_builder import DT_INT32, ShapeBuilder

DT_FLOAT, DT_BOOL = 1, 10
_FLOAT, _INT, _BOOL = DType(DT_FLOAT), DType(DT_INT32), DType(DT_BOOL)
_MANTISSA = 2**23
_INFINITY_BITS, _NAN_BITS, _SIGN_BIT = 0x7F800000, 0x7FC00000, -(2**31)
_INTEGER_EXACT_BACKENDS = frozenset({"cpu", "wasm"})


class _Bits(ShapeBuilder):
    """Typed emission for the two conversions."""

    def f(self, op: str, *inputs: str) -> str:
        return self.int_op(op, list(inputs), {"T": _FLOAT})

    def i(self, op: str, *inputs: str) -> str:
        return self.int_op(op, list(inputs), {"T": _INT})

    def logic(self, op: str, *inputs: str) -> str:
        return self.int_op(op, list(inputs), {})

    def float_const(self, value: float) -> str:
        return self.scope.ref(self.const(np.asarray(value, dtype=np.float32)))

    def cast(self, x: str, source: DType, target: DType) -> str:
        return self.int_op("Cast", [x], {"SrcT": source, "DstT": target, "Truncate": False})

    def select(self, dtype: DType, condition: str, yes: str, no: str) -> str:
        return self.int_op("SelectV2", [condition, yes, no], {"T": dtype})


def _power_of_two(b: _Bits, exponent: str) -> str:
    """``2^exponent`` for a whole float ``exponent``, from a table: wasm's ``Pow`` rounds."""
    finite = b.select(_FLOAT, b.f("IsFinite", exponent), exponent, b.float_const(0.0))
    shifted = b.f("AddV2", finite, b.float_const(127.0))
    clipped = b.f("ClipByValue", shifted, b.float_const(0.0), b.float_const(255.0))
    table = np.ldexp(np.float32(1.0), np.arange(-127, 129)).astype(np.float32)
    attrs = {"Tparams": _FLOAT, "Tindices": _INT, "Taxis": _INT, "batch_dims": 0}
    index = b.cast(clipped, _FLOAT, _INT)
    return b.int_op("GatherV2", [b.scope.ref(b.const(table)), index, b.ints(0)], attrs)


def _float_to_bits(b: _Bits, x: str) -> str:
    magnitude = b.f("Abs", x)
    exponent = b.f("Floor", b.f("Mul", b.f("Log", magnitude), b.float_const(1 / math.log(2))))
    power = _power_of_two(b, exponent)
    exponent = b.f("Sub", exponent, b.cast(b.f("Greater", power, magnitude), _BOOL, _FLOAT))
    power = _power_of_two(b, exponent)
    above = b.f("LessEqual", b.f("Mul", power, b.float_const(2.0)), magnitude)
    exponent = b.f("AddV2", exponent, b.cast(above, _BOOL, _FLOAT))
    scaled = b.f("RealDiv", magnitude, _power_of_two(b, exponent))
    fraction = b.f("Mul", b.f("Sub", scaled, b.float_const(1.0)), b.float_const(_MANTISSA))
    biased = b.cast(b.f("AddV2", exponent, b.float_const(127.0)), _FLOAT, _INT)
    normal = b.i(
        "AddV2",
        b.i("Mul", biased, b.ints(_MANTISSA)),
        b.cast(b.f("Round", fraction), _FLOAT, _INT),
    )
    tiny = b.f("Mul", b.f("Mul", magnitude, b.float_const(2.0**126)), b.float_const(_MANTISSA))
    subnormal = b.cast(b.f("Round", tiny), _FLOAT, _INT)
    bits = b.select(_INT, b.f("Less", magnitude, b.float_const(2.0**-126)), subnormal, normal)
    bits = b.select(_INT, b.f("IsInf", x), b.ints(_INFINITY_BITS), bits)
    bits = b.select(_INT, b.f("IsNan", x), b.ints(_NAN_BITS), bits)
    zero = b.float_const(0.0)
    negative = b.logic(  # 1 / -0.0 is -inf: the sign of a zero
        "LogicalOr", b.f("Less", x, zero), b.f("Less", b.f("Reciprocal", x), zero)
    )
    return b.select(_INT, negative, b.i("AddV2", bits, b.ints(_SIGN_BIT)), bits)


def _bits_to_float(b: _Bits, bits: str) -> str:
    negative = b.i("Less", bits, b.ints(0))
    magnitude = b.select(_INT, negative, b.i("Sub", bits, b.ints(_SIGN_BIT)), bits)
    # magnitude >> 23 through float32, which may round it up past a multiple of 2^23 (wasm's
    # integer FloorDiv divides in float32 too): one back where the product overshoots
    estimate = b.f("Floor", b.f("Mul", b.cast(magnitude, _INT, _FLOAT), b.float_const(2.0**-23)))
    exponent = b.cast(estimate, _FLOAT, _INT)
    overshoot = b.i("Greater", b.i("Mul", exponent, b.ints(_MANTISSA)), magnitude)
    exponent = b.i("Sub", exponent, b.cast(overshoot, _BOOL, _INT))
    fraction = b.i("Sub", magnitude, b.i("Mul", exponent, b.ints(_MANTISSA)))
    share = b.f("Mul", b.cast(fraction, _INT, _FLOAT), b.float_const(2.0**-23))
    scale = _power_of_two(b, b.f("Sub", b.cast(exponent, _INT, _FLOAT), b.float_const(127.0)))
    normal = b.f("Mul", b.f("AddV2", share, b.float_const(1.0)), scale)
    subnormal = b.f("Mul", share, b.float_const(2.0**-126))
    value = b.select(_FLOAT, b.i("Equal", exponent, b.ints(0)), subnormal, normal)
    special = b.select(
        _FLOAT,
        b.i("Equal", fraction, b.ints(0)),
        b.float_const(math.inf),
        b.float_const(math.nan),
    )
    value = b.select(_FLOAT, b.i("Equal", exponent, b.ints(255)), special, value)
    return b.select(_FLOAT, negative, b.f("Neg", value), value)


def lower_bitcast(r: Builder) -> str | None:
    """float32 to int32 or back, for cpu and wasm targets only; None otherwise."""
    if not r.backends or not set(r.backends) <= _INTEGER_EXACT_BACKENDS:
        return None
    source, target = r.node.attr["T"].type, r.node.attr["type"].type
    b = _Bits(r.scope, r.node)
    if (source, target) == (DT_FLOAT, DT_INT32):
        return _float_to_bits(b, b.data[0])
    if (source, target) == (DT_INT32, DT_FLOAT):
        return _bits_to_float(b, b.data[0])
    return None
