#!/usr/bin/env python3
"""Builds the golden test cases of ecgc: one folder per case under golden/.

Each case folder gets `model.onnx` (made here with onnx.helper), `input_<k>.npy` (float32, graph-input
order, exactly the graph input shapes) and `case.toml` (description, ops, made_by, tolerance). The
regression case `tract_dwconv_unsqueeze` is built by its own function (no file outside the repository).

Deterministic: each case draws from numpy.random.default_rng(seed) with a seed fixed from its name, and
the opset is fixed per case, so running this twice gives byte-identical files.

Usage:  python golden/tools/make_cases.py [--out DIR] [CASE ...]
        (no CASE: every case; --out defaults to the golden/ folder this script lives in)
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GOLDEN = Path(__file__).resolve().parent.parent
MADE_BY = "golden/tools/make_cases.py"
DEFAULT_TOLERANCE = 1e-5
INT64_MIN_PLUS_1 = -9223372036854775807  # what PyTorch puts in `ends` when it exports torch.flip


class Case:
    """A small graph builder around onnx.helper; one instance per case."""

    def __init__(self, name: str, description: str, opset: int = 13):
        self.name = name
        self.description = description
        self.opset = opset
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.feeds: list[np.ndarray] = []
        self.outputs: list[str] = []
        self.tolerance = DEFAULT_TOLERANCE
        self.tolerance_reason: str | None = None
        self.extra: dict[str, object] = {}
        self._count = 0

    # -- naming -------------------------------------------------------------------------------
    def _fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    # -- graph pieces -------------------------------------------------------------------------
    def input(self, name: str, value: np.ndarray) -> str:
        """Declares a graph input with `value`'s (static) shape; `value` is saved as its input file."""
        value = np.ascontiguousarray(value, dtype=np.float32)
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
        self.feeds.append(value)
        return name

    def const(self, value, name: str | None = None, dtype=None) -> str:
        """An initializer; floats become float32, integer lists int64 (for axes, shapes, indices)."""
        arr = np.asarray(value)
        if dtype is not None:
            arr = arr.astype(dtype)
        elif arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        name = name or self._fresh("c")
        self.inits.append(numpy_helper.from_array(arr.copy(order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64))

    def constant_node(self, value) -> str:
        """A `Constant` node (as PyTorch's exporter emits for scalars) instead of an initializer."""
        arr = np.asarray(value)
        arr = arr.astype(np.float32) if arr.dtype.kind == "f" else arr.astype(np.int64)
        out = self._fresh("const")
        self.nodes.append(
            helper.make_node("Constant", [], [out], name=self._fresh("Constant"), value=numpy_helper.from_array(arr, out))
        )
        return out

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, out=None, **attrs):
        """Appends a node; returns its output name (or list of names when n_out > 1)."""
        if out is None:
            outs = [self._fresh(op_type.lower()) for _ in range(n_out)]
        else:
            outs = [out] if isinstance(out, str) else list(out)
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self._fresh(op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def output(self, *names: str) -> None:
        self.outputs.extend(names)

    def weight(self, *shape, fan_in: int | None = None, scale: float = 1.0) -> np.ndarray:
        """Random weights scaled like a trained layer (std 1/sqrt(fan_in))."""
        fan_in = fan_in or int(np.prod(shape[1:]))
        return (self.rng.standard_normal(shape) * scale / np.sqrt(fan_in)).astype(np.float32)

    def signal(self, *shape, scale: float = 1.0) -> np.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    # -- writing ------------------------------------------------------------------------------
    def model(self) -> onnx.ModelProto:
        outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in self.outputs]
        graph = helper.make_graph(self.nodes, self.name, self.inputs, outputs, initializer=self.inits)
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="ecgc-golden",
            producer_version="1",
            ir_version=helper.find_min_ir_version_for(opsets),
        )
        # Give every graph output its static type and shape, from ONNX shape inference.
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
        known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
        for out in model.graph.output:
            info = known[out.name]
            dims = info.type.tensor_type.shape.dim
            if not all(d.HasField("dim_value") for d in dims):
                raise SystemExit(f"{self.name}: output {out.name} has no static shape")
            out.type.CopyFrom(info.type)
        onnx.checker.check_model(model, full_check=True)
        return model

    def ops(self) -> list[str]:
        return sorted({n.op_type for n in self.nodes})

    def write(self, root: Path) -> None:
        folder = root / self.name
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("input_*.npy"):
            stale.unlink()
        model = self.model()
        (folder / "model.onnx").write_bytes(model.SerializeToString(deterministic=True))
        for k, value in enumerate(self.feeds):
            np.save(folder / f"input_{k}.npy", value, allow_pickle=False)
        for stale in folder.glob("expected_*.npy"):
            stale.unlink()
        if self.extra.get("reference") == "onnxruntime":
            # tract is wrong on this case (reference_reason): the truth is onnxruntime's outputs, kept
            # as expected_<k>.npy; golden.rs re-runs onnxruntime and checks that tract still differs.
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            opts.intra_op_num_threads = 1
            sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
            feeds = {i.name: v for i, v in zip(self.inputs, self.feeds)}
            for k, out in enumerate(sess.run(self.outputs, feeds)):
                np.save(folder / f"expected_{k}.npy", np.ascontiguousarray(out, dtype=np.float32), allow_pickle=False)
        write_toml(folder / "case.toml", self.description, self.ops(), self.tolerance, self.tolerance_reason, self.extra)


def write_toml(path: Path, description, ops, tolerance, reason, extra) -> None:
    if (tolerance != DEFAULT_TOLERANCE) != (reason is not None):
        raise SystemExit(f"{path}: tolerance_reason is required exactly when tolerance != {DEFAULT_TOLERANCE}")
    lines = [
        f"description = {json.dumps(description)}",
        "ops = [" + ", ".join(json.dumps(o) for o in ops) + "]",
        f'made_by = "{MADE_BY}"',
        f"tolerance = {tolerance!r}",
    ]
    if reason is not None:
        lines.append(f"tolerance_reason = {json.dumps(reason)}")
    for key, value in extra.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n")


# =============================================================================================
# The cases. Each function returns a Case; CASES lists them in order.
# =============================================================================================


def s4d_discrete(rng, h: int, n: int, dt_min=1e-3, dt_max=1e-1):
    """S4D-Lin parameters made discrete (ZOH): returns Ā and C̃ = C·(Ā−1)/A, complex [h, n], and D [h]."""
    a = -0.5 + 1j * np.pi * np.arange(n)
    log_dt = rng.uniform(np.log(dt_min), np.log(dt_max), size=(h, 1))
    dta = np.exp(log_dt) * a[None, :]
    abar = np.exp(dta)
    c = (rng.standard_normal((h, n)) + 1j * rng.standard_normal((h, n))) * np.sqrt(0.5)
    ctilde = c * (abar - 1.0) / a[None, :]
    d = rng.standard_normal(h)
    return abar, ctilde, d


def s4d_kernel(rng, h: int, n: int, length: int):
    """Materialised S4D kernel K[h, l] = 2·Re Σ_n C̃ Ā^l, and D."""
    abar, ctilde, d = s4d_discrete(rng, h, n)
    powers = abar[:, :, None] ** np.arange(length)[None, None, :]
    k = 2.0 * np.real(np.einsum("hn,hnl->hl", ctilde, powers))
    return k.astype(np.float32), d.astype(np.float32)


def conv1d_stride_dilation_groups() -> Case:
    c = Case("conv1d_stride_dilation_groups",
             "Conv 1-D: groups=3, stride 2, dilation 2, asymmetric pads, bias; then a strided Conv with no bias")
    x = c.input("x", c.signal(1, 12, 97))
    w1 = c.const(c.weight(24, 4, 5))
    b1 = c.const(c.signal(24, scale=0.1))
    h = c.op("Conv", [x, w1, b1], group=3, strides=[2], dilations=[2], pads=[3, 1], kernel_shape=[5])  # [1,24,47]
    h = c.op("Relu", [h])
    w2 = c.const(c.weight(16, 24, 3))
    y = c.op("Conv", [h, w2], strides=[4], pads=[1, 2], out="y")  # [1,16,12]
    w3 = c.const(c.weight(10, 6, 3))
    z = c.op("Conv", [x, w3, c.const(c.signal(10, scale=0.1))], group=2, dilations=[3], pads=[0, 5], out="z")
    c.output(y, z)  # z: [1,10,96]
    return c


def conv2d_stride_pads_groups_bias() -> Case:
    c = Case("conv2d_stride_pads_groups_bias",
             "Conv 2-D on an STFT-like [1,4,11,33] map: groups=2, strides (2,3), asymmetric pads, bias; "
             "then a CCfC-style valid Conv with dilation")
    x = c.input("x", c.signal(1, 4, 11, 33))
    w1 = c.const(c.weight(8, 2, 3, 5))
    b1 = c.const(c.signal(8, scale=0.1))
    h = c.op("Conv", [x, w1, b1], group=2, strides=[2, 3], pads=[1, 2, 0, 1], kernel_shape=[3, 5])  # [1,8,5,11]
    c.output(h)
    w2 = c.const(c.weight(6, 8, 5, 3))
    b2 = c.const(c.signal(6, scale=0.1))
    y = c.op("Conv", [h, w2, b2], strides=[1, 2], dilations=[1, 2], out="y")  # [1,6,1,4]
    c.output(y)
    return c


def conv_trailing_padding_windows() -> Case:
    c = Case("conv_trailing_padding_windows",
             "Convs whose last output windows lie wholly in the trailing padding (ONNX allows any pads; those "
             "outputs are the bias): a 1-D one (the differential fuzzer's seed 18925, ecgc refused it) and a 2-D "
             "one, strided in both axes")
    x = c.input("x", c.signal(1, 1, 1, 9))
    w = c.const(c.weight(2, 1, 1, 2))
    b = c.const(c.signal(2, scale=0.1))
    c.output(c.op("Conv", [x, w, b], strides=[1, 3], pads=[0, 0, 0, 3], kernel_shape=[1, 2], out="y1"))  # [1,2,1,4]
    x2 = c.input("x2", c.signal(1, 2, 3, 9))
    w2 = c.const(c.weight(3, 2, 2, 2))
    b2 = c.const(c.signal(3, scale=0.1))
    c.output(c.op("Conv", [x2, w2, b2], strides=[3, 3], pads=[0, 0, 3, 3], kernel_shape=[2, 2], out="y2"))  # [1,3,2,4]
    return c


def conv2d_full_height_layouts() -> Case:
    c = Case("conv2d_full_height_layouts",
             "2-D Convs whose kernel spans the whole height (one output row; ecgc makes them 1-D, "
             "passes/conv_rows.rs): a channels-last [1,6,19,7] map transposed to NCHW before the Conv "
             "(kernel (6,3), stride (1,2), W pads (1,2), bias), the same map with a 1-wide kernel, a "
             "dilated one (left 2-D), and an NCHW grouped one with dilation and W padding")
    x = c.input("x_nhwc", c.signal(1, 6, 19, 7))
    t = c.op("Transpose", [x], perm=[0, 3, 1, 2])  # [1,7,6,19]
    w1 = c.const(c.weight(5, 7, 6, 3))
    b1 = c.const(c.signal(5, scale=0.1))
    c.output(c.op("Conv", [t, w1, b1], strides=[1, 2], pads=[0, 1, 0, 2], kernel_shape=[6, 3], out="y1"))  # [1,5,1,10]
    w2 = c.const(c.weight(4, 7, 6, 1))
    c.output(c.op("Conv", [t, w2], kernel_shape=[6, 1], out="y2"))  # [1,4,1,19]
    w3 = c.const(c.weight(3, 7, 6, 3))
    c.output(c.op("Conv", [t, w3], dilations=[1, 2], kernel_shape=[6, 3], out="y3"))  # [1,3,1,15]
    x2 = c.input("x_nchw", c.signal(1, 4, 5, 23))
    w4 = c.const(c.weight(6, 2, 5, 4))
    b4 = c.const(c.signal(6, scale=0.1))
    c.output(c.op("Conv", [x2, w4, b4], group=2, dilations=[1, 2], pads=[0, 2, 0, 1], kernel_shape=[5, 4],
                  out="y4"))  # [1,6,1,20]
    return c


def depthwise_causal_long_kernel() -> Case:
    c = Case("depthwise_causal_long_kernel",
             "Materialised S4D layer: depthwise Conv 1-D (groups=16) with a 33-tap kernel, causal left pad 32, "
             "plus D*u skip")
    u = c.input("u", c.signal(1, 16, 97))
    k, d = s4d_kernel(c.rng, 16, 8, 33)
    w = c.const(k[:, None, ::-1].copy())  # Conv is a correlation: reverse the taps for a causal convolution
    y = c.op("Conv", [u, w], group=16, pads=[32, 0], kernel_shape=[33])
    du = c.op("Mul", [u, c.const(d[:, None])])
    c.output(c.op("Add", [y, du], out="y"))
    return c


def s4d_kernel_flip_unsqueeze_conv() -> Case:
    c = Case("s4d_kernel_flip_unsqueeze_conv",
             "S4D kernel as PyTorch exports it: constant K [16,33] -> Slice(step -1) flip -> Unsqueeze -> "
             "depthwise Conv after a causal Pad, then GELU (erf form)")
    u = c.input("u", c.signal(1, 16, 97))
    k, d = s4d_kernel(c.rng, 16, 8, 33)
    kc = c.const(k)
    flipped = c.op("Slice", [kc, c.ints([-1]), c.ints([INT64_MIN_PLUS_1]), c.ints([1]), c.ints([-1])])
    w = c.op("Unsqueeze", [flipped, c.ints([1])])  # [16,1,33]
    padded = c.op("Pad", [u, c.ints([0, 0, 32, 0, 0, 0]), c.const(np.float32(0.0))], mode="constant")
    y = c.op("Conv", [padded, w], group=16)
    y = c.op("Add", [y, c.op("Mul", [u, c.const(d[:, None])])])
    g = c.op("Mul", [y, c.op("Add", [c.op("Erf", [c.op("Div", [y, c.const(np.float32(1.4142135))])]),
                                      c.const(np.float32(1.0))])])
    c.output(c.op("Mul", [g, c.const(np.float32(0.5))], out="y"))
    return c


def matmul_2d() -> Case:
    c = Case("matmul_2d", "MatMul 2-D: input x input [13,61]x[61,19], then x constant [19,7]")
    a = c.input("a", c.signal(13, 61))
    b = c.input("b", c.signal(61, 19, scale=0.3))
    ab = c.op("MatMul", [a, b])
    c.output(c.op("MatMul", [ab, c.const(c.weight(19, 7, fan_in=19))], out="y"))
    return c


def matmul_batched_broadcast() -> Case:
    c = Case("matmul_batched_broadcast",
             "Batched MatMul with broadcasting: [2,61,16]x[16,24], self-attention [2,61,24]x[2,24,61], "
             "[2,61,61]x[2,61,24] and [2,61,24]x[1,24,7]")
    x = c.input("x", c.signal(2, 61, 16))
    h = c.op("MatMul", [x, c.const(c.weight(16, 24, fan_in=16))])  # 3-D x 2-D
    ht = c.op("Transpose", [h], perm=[0, 2, 1])
    s = c.op("MatMul", [h, ht])  # 3-D x 3-D
    s = c.op("Mul", [s, c.const(np.float32(1.0 / np.sqrt(24.0)))])
    p = c.op("Softmax", [s], axis=-1)
    o = c.op("MatMul", [p, h])
    c.output(c.op("MatMul", [o, c.const(c.weight(1, 24, 7, fan_in=24))], out="y"))  # batch dim broadcast
    return c


def gemm_transb_alpha_beta() -> Case:
    c = Case("gemm_transb_alpha_beta",
             "Gemm with transB=1, alpha/beta != 1, bias [20] and [1,6]; Tanh and Sigmoid heads")
    x = c.input("x", c.signal(3, 75))
    h = c.op("Gemm", [x, c.const(c.weight(20, 75)), c.const(c.signal(20, scale=0.1))],
             transB=1, alpha=0.7, beta=1.3)
    h = c.op("Tanh", [h])
    y = c.op("Gemm", [h, c.const(c.weight(6, 20)), c.const(c.signal(1, 6, scale=0.3))],
             transB=1, alpha=1.0, beta=0.5)
    c.output(c.op("Sigmoid", [y], out="y"))
    return c


def linear_3d_matmul_add() -> Case:
    c = Case("linear_3d_matmul_add",
             "nn.Linear on [B,T,C] as PyTorch exports it (MatMul + Add bias), two layers and a residual Add")
    x = c.input("x", c.signal(1, 61, 16))
    h = c.op("Add", [c.op("MatMul", [x, c.const(c.weight(16, 24, fan_in=16))]), c.const(c.signal(24, scale=0.1))])
    h = c.op("Relu", [h])
    h = c.op("Add", [c.op("MatMul", [h, c.const(c.weight(24, 16, fan_in=24))]), c.const(c.signal(16, scale=0.1))])
    c.output(c.op("Add", [h, x], out="y"))
    return c


def elementwise_arith_broadcast() -> Case:
    c = Case("elementwise_arith_broadcast",
             "Add/Sub/Mul/Div broadcasting: scalar (both sides), per-channel [12,1], row [97], input row "
             "[1,1,97] and input column [1,12,1] broadcasting against each other")
    a = c.input("a", c.signal(1, 12, 97))
    b = c.input("b", c.signal(1, 1, 97))
    col = c.input("c", c.signal(1, 12, 1))
    t = c.op("Add", [a, c.const(c.signal(12, 1))])  # per-channel constant
    t = c.op("Sub", [t, b])  # row vector from an input
    t = c.op("Mul", [t, c.const(np.float32(0.75))])  # scalar
    both = c.op("Add", [col, b])  # [1,12,1] + [1,1,97]: both sides broadcast
    t = c.op("Mul", [t, both])
    den = c.op("Add", [c.op("Mul", [col, col]), c.const(np.float32(0.5))])
    t = c.op("Div", [t, den])  # per-channel divisor from an input
    t = c.op("Sub", [c.const(np.float32(1.0)), t])  # scalar on the left
    t = c.op("Div", [t, c.const(c.rng.uniform(0.5, 2.0, 97))])  # row constant
    t = c.op("Div", [c.const(np.float32(2.0)), c.op("Add", [c.op("Mul", [t, t]), c.const(np.float32(1.0))])])
    c.output(c.op("Mul", [t, c.const(c.signal(1, 12, 1))], out="y"))
    return c


def elementwise_minmax_pow() -> Case:
    c = Case("elementwise_minmax_pow",
             "Max/Min (2 and 3 inputs, scalar, per-channel, input column) and Pow with exponents 2, 0.5, "
             "a scalar 1.7, per-channel exponents, and a scalar base")
    a = c.input("a", c.signal(1, 12, 97))
    col = c.input("c", c.signal(1, 12, 1))
    m = c.op("Max", [a, c.const(c.signal(12, 1, scale=0.5))])  # per-channel constant
    m = c.op("Min", [m, c.op("Add", [col, c.const(np.float32(1.0))])])  # column input
    m3 = c.op("Max", [a, c.const(np.float32(-0.8)), col])  # three inputs
    n = c.op("Min", [c.const(np.float32(1.2)), m3])  # scalar on the left
    pos = c.op("Add", [c.op("Abs", [a]), c.const(np.float32(0.5))])
    p1 = c.op("Pow", [a, c.const(np.float32(2.0))])
    p2 = c.op("Pow", [pos, c.const(np.float32(1.7))])
    p3 = c.op("Pow", [pos, c.const(c.rng.uniform(-1.5, 2.5, (12, 1)))])
    p4 = c.op("Pow", [pos, c.const(np.float32(0.5))])
    p5 = c.op("Pow", [c.const(np.float32(1.3)), a])
    c.output(c.op("Add", [m, n], out="minmax"))
    s = c.op("Add", [c.op("Add", [p1, p2]), c.op("Add", [p3, p4])])
    c.output(c.op("Sub", [s, p5], out="pow"))
    return c


def unary_math() -> Case:
    c = Case("unary_math",
             "Sigmoid, Tanh, Exp, Erf, Abs, Neg on a signal; Log, Sqrt, Reciprocal on a positive input; "
             "concatenated on the channel axis")
    x = c.input("x", c.signal(1, 12, 97, scale=1.5))
    p = c.input("p", c.rng.uniform(0.05, 4.0, (1, 12, 97)))
    parts = [c.op(o, [x]) for o in ("Sigmoid", "Tanh", "Exp", "Erf", "Abs", "Neg")]
    parts += [c.op(o, [p]) for o in ("Log", "Sqrt", "Reciprocal")]
    c.output(c.op("Concat", parts, axis=1, out="y"))  # [1,108,97]
    return c


def unary_activations() -> Case:
    c = Case("unary_activations",
             "Relu, LeakyRelu (default and 0.2), HardSigmoid (Keras 0.2/0.5 and default), Clip (min+max, "
             "0..6, max only), Softplus; concatenated on the channel axis")
    x = c.input("x", c.signal(1, 12, 97, scale=2.5))
    parts = [
        c.op("Relu", [x]),
        c.op("LeakyRelu", [x]),
        c.op("LeakyRelu", [x], alpha=0.2),
        c.op("HardSigmoid", [x], alpha=0.2, beta=0.5),
        c.op("HardSigmoid", [x]),
        c.op("Clip", [x, c.const(np.float32(-1.0)), c.const(np.float32(1.0))]),
        c.op("Clip", [c.op("Mul", [x, c.const(np.float32(3.0))]), c.const(np.float32(0.0)), c.const(np.float32(6.0))]),
        c.op("Clip", [x, "", c.const(np.float32(1.5))]),
        c.op("Softplus", [x]),
    ]
    c.output(c.op("Concat", parts, axis=1, out="y"))  # [1,108,97]
    return c


def gelu_erf_pytorch() -> Case:
    c = Case("gelu_erf_pytorch",
             "GELU in the erf form PyTorch exports: x*0.5*(1+Erf(x/1.4142135)), scalars as Constant nodes")
    x = c.input("x", c.signal(1, 61, 16, scale=2.0))
    e = c.op("Erf", [c.op("Div", [x, c.constant_node(np.float32(1.4142135))])])
    g = c.op("Mul", [x, c.op("Add", [e, c.constant_node(np.float32(1.0))])])
    c.output(c.op("Mul", [g, c.constant_node(np.float32(0.5))], out="y"))
    return c


def gelu_opset20() -> Case:
    c = Case("gelu_opset20", "Opset-20 Gelu: approximate='none' and approximate='tanh'", opset=20)
    x = c.input("x", c.signal(1, 61, 16, scale=2.0))
    c.output(c.op("Gelu", [x], out="exact"), c.op("Gelu", [x], approximate="tanh", out="tanh"))
    return c


def compare_where() -> Case:
    c = Case("compare_where",
             "Less, Greater, Equal, LessOrEqual, GreaterOrEqual feeding Where (scalar, per-channel and full "
             "branches); inputs on a 0.5 grid so comparisons are exact")
    a = c.input("a", c.rng.integers(-4, 5, (1, 12, 97)) / 2.0)
    b = c.input("b", c.rng.integers(-4, 5, (1, 12, 97)) / 2.0)
    w1 = c.op("Where", [c.op("Less", [a, b]), a, b])
    w2 = c.op("Where", [c.op("Greater", [a, c.const(np.float32(0.0))]), a,
                        c.op("Mul", [a, c.const(np.float32(0.1))])])
    w3 = c.op("Where", [c.op("Equal", [a, b]), c.const(np.float32(7.0)), c.op("Sub", [a, b])])
    thr = c.const((c.rng.integers(-2, 3, (12, 1)) / 2.0).astype(np.float32))
    w4 = c.op("Where", [c.op("GreaterOrEqual", [a, thr]), c.const(c.signal(12, 1)), b])
    w5 = c.op("Where", [c.op("LessOrEqual", [b, c.const(np.float32(-0.5))]), a, c.const(np.float32(-3.0))])
    c.output(c.op("Concat", [w1, w2, w3, w4, w5], axis=1, out="y"))  # [1,60,97]
    return c


def softmax_axes_logsoftmax() -> Case:
    c = Case("softmax_axes_logsoftmax", "Softmax on the last axis and on axis 1, LogSoftmax on the last axis")
    x = c.input("x", c.signal(1, 6, 61, scale=3.0))
    c.output(c.op("Softmax", [x], axis=-1, out="softmax_last"),
             c.op("Softmax", [x], axis=1, out="softmax_axis1"),
             c.op("LogSoftmax", [x], axis=-1, out="logsoftmax_last"))
    return c


def reduce_keepdims_axes() -> Case:
    c = Case("reduce_keepdims_axes",
             "ReduceSum (axes input), ReduceMean, ReduceMax, ReduceMin (axes attribute) with keepdims 0/1, "
             "single, multiple, negative and all axes")
    x = c.input("x", c.signal(2, 12, 61))
    c.output(
        c.op("ReduceSum", [x, c.ints([2])], keepdims=1, out="sum_t_keep"),  # [2,12,1]
        c.op("ReduceSum", [x, c.ints([0, 2])], keepdims=0, out="sum_bt"),  # [12]
        c.op("ReduceMean", [x], axes=[1], keepdims=0, out="mean_c"),  # [2,61]
        c.op("ReduceMean", [x], axes=[-1], keepdims=1, out="mean_t_keep"),  # [2,12,1]
        c.op("ReduceMean", [x], keepdims=1, out="mean_all_keep"),  # [1,1,1]
        c.op("ReduceMax", [x], axes=[1, 2], keepdims=1, out="max_ct_keep"),  # [2,1,1]
        c.op("ReduceMax", [x], axes=[-2], keepdims=0, out="max_c"),  # [2,61]
        c.op("ReduceMin", [x], axes=[0], keepdims=0, out="min_b"),  # [12,61]
        c.op("ReduceMin", [x], axes=[2], keepdims=1, out="min_t_keep"),  # [2,12,1]
    )
    return c


def layernorm_opset17() -> Case:
    c = Case("layernorm_opset17",
             "Opset-17 LayerNormalization on [1,61,16]: axis -1 (eps 1e-5) and axis 1 over [61,16] (eps 1e-3)",
             opset=17)
    x = c.input("x", c.signal(1, 61, 16, scale=2.0) + 0.7)
    g1 = c.const(1.0 + c.signal(16, scale=0.2))
    b1 = c.const(c.signal(16, scale=0.2))
    g2 = c.const(1.0 + c.signal(61, 16, scale=0.2))
    b2 = c.const(c.signal(61, 16, scale=0.2))
    c.output(c.op("LayerNormalization", [x, g1, b1], axis=-1, epsilon=1e-5, out="ln_last"),
             c.op("LayerNormalization", [x, g2, b2], axis=1, epsilon=1e-3, out="ln_axis1"))
    return c


def layernorm_decomposed() -> Case:
    c = Case("layernorm_decomposed",
             "LayerNorm as PyTorch's older exporter emits it: ReduceMean, Sub, Pow 2, ReduceMean, Add eps, "
             "Sqrt, Div, Mul gamma, Add beta")
    x = c.input("x", c.signal(1, 61, 16, scale=2.0) + 0.7)
    mean = c.op("ReduceMean", [x], axes=[-1], keepdims=1)
    centred = c.op("Sub", [x, mean])
    var = c.op("ReduceMean", [c.op("Pow", [centred, c.constant_node(np.float32(2.0))])], axes=[-1], keepdims=1)
    std = c.op("Sqrt", [c.op("Add", [var, c.constant_node(np.float32(1e-5))])])
    normed = c.op("Div", [centred, std])
    y = c.op("Mul", [normed, c.const(1.0 + c.signal(16, scale=0.2))])
    c.output(c.op("Add", [y, c.const(c.signal(16, scale=0.2))], out="y"))
    return c


def reshape_transpose_squeeze_flatten() -> Case:
    c = Case("reshape_transpose_squeeze_flatten",
             "Unsqueeze, Transpose (3-D and 4-D perms), Squeeze, Reshape with 0 and -1, Flatten (axis 2 and "
             "default), each followed by a position-dependent Mul")
    x = c.input("x", c.signal(1, 12, 97))
    t = c.op("Unsqueeze", [x, c.ints([2])])  # [1,12,1,97]
    t = c.op("Transpose", [t], perm=[0, 2, 3, 1])  # [1,1,97,12]
    t = c.op("Squeeze", [t, c.ints([1])])  # [1,97,12]
    t = c.op("Reshape", [t, c.ints([0, 97, 3, -1])])  # [1,97,3,4]
    t = c.op("Transpose", [t], perm=[0, 2, 3, 1])  # [1,3,4,97]
    t = c.op("Flatten", [t], axis=2)  # [3,388]
    c.output(c.op("Mul", [t, c.const(c.signal(388))], out="y"))
    u = c.op("Transpose", [x], perm=[0, 2, 1])  # [1,97,12]
    u = c.op("Flatten", [u])  # [1,1164]
    u = c.op("Reshape", [u, c.ints([1, -1, 6])])  # [1,194,6]
    u = c.op("Unsqueeze", [u, c.ints([0, -1])])  # [1,1,194,6,1]
    u = c.op("Squeeze", [u, c.ints([0, 4])])  # [1,194,6]
    c.output(c.op("Mul", [u, c.const(c.signal(194, 1))], out="z"))
    return c


def concat_axes() -> Case:
    c = Case("concat_axes", "Concat on axis 1 (two inputs), axis -1 (inputs and a constant) and axis 0")
    a = c.input("a", c.signal(1, 12, 97))
    b = c.input("b", c.signal(1, 4, 97))
    d = c.input("d", c.signal(1, 16, 13))
    t = c.op("Concat", [a, b], axis=1)  # [1,16,97]
    u = c.op("Concat", [t, d, c.const(c.signal(1, 16, 3))], axis=-1)  # [1,16,113]
    v = c.op("Concat", [u, c.op("Neg", [u])], axis=0)  # [2,16,113]
    c.output(c.op("Mul", [v, c.const(c.signal(2, 1, 113))], out="y"))
    return c


def slice_steps_flip() -> Case:
    c = Case("slice_steps_flip",
             "Slice: steps 2 and 3 on two axes, torch.flip export (start -1, end INT64_MIN+1, step -1), "
             "negative start/end without steps, negative steps -3/-7, end beyond the dimension")
    x = c.input("x", c.signal(1, 12, 97))
    c.output(
        c.op("Slice", [x, c.ints([1, 2]), c.ints([12, 97]), c.ints([1, 2]), c.ints([2, 3])], out="stepped"),
        c.op("Slice", [x, c.ints([-1]), c.ints([INT64_MIN_PLUS_1]), c.ints([2]), c.ints([-1])], out="flip_t"),
        c.op("Slice", [x, c.ints([-20]), c.ints([-3]), c.ints([-1])], out="tail"),
        c.op("Slice", [x, c.ints([10, 90]), c.ints([0, 5]), c.ints([1, 2]), c.ints([-3, -7])], out="neg_steps"),
        c.op("Slice", [x, c.ints([3]), c.ints([1000]), c.ints([1])], out="past_end"),
    )
    return c


def gather_const_indices() -> Case:
    c = Case("gather_const_indices",
             "Gather with constant indices on non-first axes: repeated indices on axis 1, a scalar -1 on "
             "axis 2 (drops the axis), 2-D indices with negatives on axis -1")
    x = c.input("x", c.signal(1, 12, 97))
    c.output(
        c.op("Gather", [x, c.ints([0, 6, 1, 11, 6])], axis=1, out="leads"),  # [1,5,97]
        c.op("Gather", [x, c.const(np.int64(-1))], axis=2, out="last"),  # [1,12]
        c.op("Gather", [x, c.ints([[0, 96], [50, 3], [-2, 7]])], axis=-1, out="pairs"),  # [1,12,3,2]
    )
    return c


def pad_constant_value() -> Case:
    c = Case("pad_constant_value",
             "Pad, constant mode: value 0.5 on the time axis (3 before, 2 after), -1.25 on the channel axis, "
             "and the default value 0 on two axes")
    x = c.input("x", c.signal(1, 12, 97))
    c.output(
        c.op("Pad", [x, c.ints([0, 0, 3, 0, 0, 2]), c.const(np.float32(0.5))], mode="constant", out="time"),
        c.op("Pad", [x, c.ints([0, 1, 0, 0, 2, 0]), c.const(np.float32(-1.25))], out="chan"),
        c.op("Pad", [x, c.ints([0, 2, 1, 0, 0, 4])], out="zero"),
    )
    return c


def maxpool_1d_2d() -> Case:
    c = Case("maxpool_1d_2d", "MaxPool 1-D (k3 s2 pads [1,0]; k4 s3 pads [2,1]) and 2-D (k3x2 s2 asymmetric pads)")
    x = c.input("x", c.signal(1, 12, 97))
    m = c.input("m", c.signal(1, 4, 11, 33))
    c.output(
        c.op("MaxPool", [x], kernel_shape=[3], strides=[2], pads=[1, 0], out="p1"),  # [1,12,48]
        c.op("MaxPool", [x], kernel_shape=[4], strides=[3], pads=[2, 1], out="p2"),  # [1,12,33]
        c.op("MaxPool", [m], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1], out="p3"),  # [1,4,6,17]
    )
    return c


def avgpool_count_include_pad() -> Case:
    c = Case("avgpool_count_include_pad",
             "AveragePool 1-D with count_include_pad 0 and 1 (asymmetric pads), 2-D with padding, "
             "GlobalAveragePool 1-D and 2-D")
    x = c.input("x", c.signal(1, 12, 97))
    m = c.input("m", c.signal(1, 4, 11, 33))
    c.output(
        c.op("AveragePool", [x], kernel_shape=[5], strides=[2], pads=[2, 2], count_include_pad=0, out="a0"),
        c.op("AveragePool", [x], kernel_shape=[4], strides=[3], pads=[1, 3], count_include_pad=1, out="a1"),
        c.op("AveragePool", [m], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], out="a2d"),
        c.op("GlobalAveragePool", [x], out="g1"),  # [1,12,1]
        c.op("GlobalAveragePool", [m], out="g2"),  # [1,4,1,1]
    )
    return c


def s4d_step() -> Case:
    c = Case("s4d_step",
             "One S4D recurrence step with explicit state: u [1,16], xr/xi [1,16,8] -> y [1,16], xr', xi'")
    abar, ctilde, d = s4d_discrete(c.rng, 16, 8)
    u = c.input("u", c.signal(1, 16))
    xr = c.input("xr", c.signal(1, 16, 8, scale=0.5))
    xi = c.input("xi", c.signal(1, 16, 8, scale=0.5))
    ar, ai = c.const(abar.real), c.const(abar.imag)
    cr, ci = c.const(ctilde.real), c.const(ctilde.imag)
    u3 = c.op("Unsqueeze", [u, c.ints([2])])  # [1,16,1]
    xr_new = c.op("Add", [c.op("Sub", [c.op("Mul", [ar, xr]), c.op("Mul", [ai, xi])]), u3], out="xr_next")
    xi_new = c.op("Add", [c.op("Mul", [ar, xi]), c.op("Mul", [ai, xr])], out="xi_next")
    s = c.op("Sub", [c.op("Mul", [cr, xr_new]), c.op("Mul", [ci, xi_new])])
    s = c.op("ReduceSum", [s, c.ints([2])], keepdims=0)  # [1,16]
    y = c.op("Add", [c.op("Mul", [s, c.const(np.float32(2.0))]), c.op("Mul", [c.const(d), u])], out="y")
    c.output(y, xr_new, xi_new)
    return c


def two_inputs_two_outputs() -> Case:
    c = Case("two_inputs_two_outputs",
             "Signal [1,1,97] + metadata [1,5] -> Conv/Relu/GlobalAveragePool/Flatten, Concat, Gemm, "
             "Sigmoid; outputs probabilities [1,6] and per-filter maxima [1,8]")
    sig = c.input("signal", c.signal(1, 1, 97))
    meta = c.input("meta", c.signal(1, 5))
    f = c.op("Conv", [sig, c.const(c.weight(8, 1, 7)), c.const(c.signal(8, scale=0.1))], pads=[3, 3])
    f = c.op("Relu", [f])  # [1,8,97]
    g = c.op("Flatten", [c.op("GlobalAveragePool", [f])])  # [1,8]
    h = c.op("Concat", [g, meta], axis=1)  # [1,13]
    logits = c.op("Gemm", [h, c.const(c.weight(6, 13)), c.const(c.signal(6, scale=0.1))], transB=1)
    c.output(c.op("Sigmoid", [logits], out="probs"),
             c.op("ReduceMax", [f], axes=[2], keepdims=0, out="peaks"))
    return c


def ecg_cnn_batchnorm() -> Case:
    c = Case("ecg_cnn_batchnorm",
             "Small 12-lead ECG CNN: Conv s2 -> BatchNormalization -> Relu -> MaxPool -> grouped Conv -> Relu "
             "-> GlobalAveragePool -> Flatten -> Gemm -> Sigmoid")
    x = c.input("x", c.signal(1, 12, 97))
    h = c.op("Conv", [x, c.const(c.weight(16, 12, 7)), c.const(c.signal(16, scale=0.1))], strides=[2], pads=[3, 3])
    bn = [c.const(1.0 + c.signal(16, scale=0.1)), c.const(c.signal(16, scale=0.1)),
          c.const(c.signal(16, scale=0.2)), c.const(c.rng.uniform(0.5, 1.5, 16))]
    h = c.op("BatchNormalization", [h] + bn, epsilon=1e-5)
    h = c.op("Relu", [h])
    h = c.op("MaxPool", [h], kernel_shape=[2], strides=[2])  # [1,16,24]
    h = c.op("Conv", [h, c.const(c.weight(16, 4, 3))], group=4, pads=[1, 1])
    h = c.op("Relu", [h])
    h = c.op("Flatten", [c.op("GlobalAveragePool", [h])])
    h = c.op("Gemm", [h, c.const(c.weight(6, 16)), c.const(c.signal(6, scale=0.1))], transB=1)
    c.output(c.op("Sigmoid", [h], out="y"))
    return c


def cfc_cell_step() -> Case:
    c = Case("cfc_cell_step",
             "One CfC cell step (ncps.torch form, t=1): x=[u;h], f1=tanh, f2=tanh, tau=sigmoid(ta*t+tb), "
             "h'=f1*(1-tau)+tau*f2; outputs h' [1,20] and the motor slice [1,6]")
    u = c.input("u", c.signal(1, 8))
    hid = c.input("h", c.signal(1, 20, scale=0.5))
    x = c.op("Concat", [u, hid], axis=1)  # [1,28]

    def dense():
        return c.op("Gemm", [x, c.const(c.weight(20, 28)), c.const(c.signal(20, scale=0.1))], transB=1)

    f1 = c.op("Tanh", [dense()])
    f2 = c.op("Tanh", [dense()])
    ta, tb = dense(), dense()
    tau = c.op("Sigmoid", [c.op("Add", [c.op("Mul", [ta, c.const(np.float32(1.0))]), tb])])
    one_minus = c.op("Sub", [c.const(np.float32(1.0)), tau])
    h_new = c.op("Add", [c.op("Mul", [f1, one_minus]), c.op("Mul", [tau, f2])], out="h_next")
    motor = c.op("Slice", [h_new, c.ints([14]), c.ints([20]), c.ints([1])], out="motor")
    c.output(h_new, motor)
    return c


def lstm_bidirectional_peepholes() -> Case:
    c = Case("lstm_bidirectional_peepholes",
             "ONNX LSTM over 6 steps, batch 2: bidirectional, peepholes, bias, initial h and c; outputs Y "
             "[6,2,2,10], Y_h, Y_c; a second LSTM without bias or initial state (zeros) on its Y_h")
    x = c.input("x", c.signal(6, 2, 5))
    h0 = c.input("h0", c.signal(2, 2, 10, scale=0.5))
    c0 = c.input("c0", c.signal(2, 2, 10, scale=0.5))
    w = c.const(c.weight(2, 40, 5))
    r = c.const(c.weight(2, 40, 10))
    b = c.const(c.signal(2, 80, scale=0.1))
    p = c.const(c.signal(2, 30, scale=0.3))
    y, yh, yc = c.op("LSTM", [x, w, r, b, "", h0, c0, p], n_out=3, out=["y", "y_h", "y_c"], hidden_size=10,
                     direction="bidirectional")
    seq = c.op("Reshape", [yh, c.ints([1, 2, 20])])  # Y_h as a 1-step sequence, both directions as features
    _, yh2 = c.op("LSTM", [seq, c.const(c.weight(1, 16, 20)), c.const(c.weight(1, 16, 4))], n_out=2,
                  out=["y2", "y2_h"], hidden_size=4)
    c.output(y, yh, yc, yh2)
    return c


def gru_linear_before_reset() -> Case:
    c = Case("gru_linear_before_reset",
             "ONNX GRU over 7 steps: linear_before_reset 0 with bias and initial h; linear_before_reset 1 without "
             "bias, bidirectional; outputs Y and Y_h of both")
    x = c.input("x", c.signal(7, 1, 6))
    h0 = c.input("h0", c.signal(1, 1, 8, scale=0.5))
    y, yh = c.op("GRU", [x, c.const(c.weight(1, 24, 6)), c.const(c.weight(1, 24, 8)), c.const(c.signal(1, 48, scale=0.1)),
                        "", h0], n_out=2, out=["y", "y_h"], hidden_size=8, linear_before_reset=0)
    y2, yh2 = c.op("GRU", [x, c.const(c.weight(2, 24, 6)), c.const(c.weight(2, 24, 8))], n_out=2,
                   out=["y2", "y2_h"], hidden_size=8, linear_before_reset=1, direction="bidirectional")
    c.output(y, yh, y2, yh2)
    return c


def rnn_reverse_activations() -> Case:
    c = Case("rnn_reverse_activations",
             "ONNX LSTM and GRU with direction reverse (alone), an LSTM with activations Sigmoid/Tanh/Relu and a GRU "
             "with Sigmoid/Relu; checked against onnxruntime: tract 0.23.9 runs them wrong")
    x = c.input("x", c.signal(5, 1, 6))
    lw, lr, lb = c.const(c.weight(1, 32, 6)), c.const(c.weight(1, 32, 8)), c.const(c.signal(1, 64, scale=0.1))
    gw, gr, gb = c.const(c.weight(1, 24, 6)), c.const(c.weight(1, 24, 8)), c.const(c.signal(1, 48, scale=0.1))
    y1, _ = c.op("LSTM", [x, lw, lr, lb], n_out=2, out=["lstm_reverse_y", "lstm_reverse_h"], hidden_size=8,
                 direction="reverse")
    y2, _ = c.op("GRU", [x, gw, gr, gb], n_out=2, out=["gru_reverse_y", "gru_reverse_h"], hidden_size=8,
                 direction="reverse", linear_before_reset=1)
    y3, _ = c.op("LSTM", [x, lw, lr, lb], n_out=2, out=["lstm_relu_y", "lstm_relu_h"], hidden_size=8,
                 activations=["Sigmoid", "Tanh", "Relu"])
    y4, _ = c.op("GRU", [x, gw, gr, gb], n_out=2, out=["gru_relu_y", "gru_relu_h"], hidden_size=8,
                 activations=["Sigmoid", "Relu"], linear_before_reset=1)
    c.output(y1, y2, y3, y4)
    c.extra["reference"] = "onnxruntime"
    c.extra["reference_reason"] = (
        "tract 0.23.9 runs a direction-reverse LSTM/GRU forward (its scan direction comes from the direction's "
        "index, 0) and ignores the activations attribute (always Sigmoid/Tanh); onnxruntime follows the ONNX spec")
    return c


def tract_dwconv_unsqueeze(root: Path) -> None:
    """Known tract 0.23.9 optimized-plan bug, built here so the repository stands alone.

    Graph (opset 13), as described in the project's shared data README: initializer W [4,4] =
    arange(16)/10 -> Unsqueeze(axes=[1]) -> [4,1,4] kernel -> Conv(group=4, kernel_shape=[4], no
    padding) on X [1,4,8]; input X = arange(32)/10.
    """
    folder = root / "tract_dwconv_unsqueeze"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.path").unlink(missing_ok=True)
    w = numpy_helper.from_array((np.arange(16, dtype=np.float32) / 10).reshape(4, 4), "W")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("Unsqueeze", ["W", "axes"], ["K"], name="unsqueeze"),
        helper.make_node("Conv", ["X", "K"], ["Y"], name="conv", group=4, kernel_shape=[4]),
    ]
    graph = helper.make_graph(
        nodes,
        "tract_dwconv_unsqueeze",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4, 8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4, 5])],
        initializer=[w, axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ecgc-golden")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, folder / "model.onnx")
    x = (np.arange(32, dtype=np.float32) / 10).reshape(1, 4, 8)
    np.save(folder / "input_0.npy", x, allow_pickle=False)
    write_toml(
        folder / "case.toml",
        "Known tract 0.23.9 optimized-plan bug: depthwise Conv whose kernel is Unsqueeze(constant); "
        "the decluttered plan is right",
        ["Conv", "Unsqueeze"],
        DEFAULT_TOLERANCE,
        None,
        {"tract_optimized_differs": True},
    )


CASES = [
    conv1d_stride_dilation_groups,
    conv2d_stride_pads_groups_bias,
    conv_trailing_padding_windows,
    conv2d_full_height_layouts,
    depthwise_causal_long_kernel,
    s4d_kernel_flip_unsqueeze_conv,
    matmul_2d,
    matmul_batched_broadcast,
    gemm_transb_alpha_beta,
    linear_3d_matmul_add,
    elementwise_arith_broadcast,
    elementwise_minmax_pow,
    unary_math,
    unary_activations,
    gelu_erf_pytorch,
    gelu_opset20,
    compare_where,
    softmax_axes_logsoftmax,
    reduce_keepdims_axes,
    layernorm_opset17,
    layernorm_decomposed,
    reshape_transpose_squeeze_flatten,
    concat_axes,
    slice_steps_flip,
    gather_const_indices,
    pad_constant_value,
    maxpool_1d_2d,
    avgpool_count_include_pad,
    s4d_step,
    two_inputs_two_outputs,
    ecg_cnn_batchnorm,
    cfc_cell_step,
    lstm_bidirectional_peepholes,
    gru_linear_before_reset,
    rnn_reverse_activations,
]

# Cases whose tolerance differs from the default, with the reason (kept here, next to the list).
TOLERANCES: dict[str, tuple[float, str]] = {}

# Cases that hit tract 0.23.9's optimized-plan bug (the decluttered plan is still the golden truth).
TRACT_OPTIMIZED_DIFFERS: set[str] = {"s4d_kernel_flip_unsqueeze_conv"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=GOLDEN, help="root folder for the case folders")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args(argv)
    names = [f.__name__ for f in CASES] + ["tract_dwconv_unsqueeze"]
    unknown = [n for n in args.cases if n not in names]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    wanted = set(args.cases or names)
    for make in CASES:
        if make.__name__ not in wanted:
            continue
        case = make()
        assert case.name == make.__name__, case.name
        if case.name in TOLERANCES:
            case.tolerance, case.tolerance_reason = TOLERANCES[case.name]
        if case.name in TRACT_OPTIMIZED_DIFFERS:
            case.extra["tract_optimized_differs"] = True
        case.write(args.out)
        print(f"{case.name}: {len(case.nodes)} nodes, ops {', '.join(case.ops())}")
    if "tract_dwconv_unsqueeze" in wanted:
        tract_dwconv_unsqueeze(args.out)
        print("tract_dwconv_unsqueeze: built in place")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
