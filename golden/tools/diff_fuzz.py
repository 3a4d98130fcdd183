#!/usr/bin/env python3
"""The differential fuzzer's generator: random small valid ONNX graphs, seeded.

Each case is a graph of 1-8 nodes drawn from the ops ecgc supports (README.md "Supported ops"), with
random but valid attributes and shapes, random weights and random inputs. A case is named by its seed:
the same seed gives the same bytes (numpy.random.default_rng([seed, attempt]), fixed opsets, pinned
packages). Every case is checked before it is kept: `onnx.checker` with full_check, strict shape
inference, and a run in onnxruntime (CPU, no graph optimizations, one thread) whose outputs must be
finite and bounded. A graph that fails any of these is drawn again (attempt + 1) and not counted.

Values are kept in safe ranges so that a difference is a bug and not ill-conditioning: every tensor
carries a bound on |x| (the generator refuses ops that would push it past 1e3), and Log, Sqrt,
Reciprocal, a Div denominator and a Pow base get a positive operand (Abs then Add of a constant >= 0.25)
unless it is already known to be >= 0.1.

Usage:
  diff_fuzz.py gen --start S --count N --out DIR
      writes DIR/<seed>/{model.onnx, input_<k>.npy, ort_output_<k>.npy, case.json}
  diff_fuzz.py show SEED
      prints the graph of one case
  diff_fuzz.py minimise SEED --out DIR
      writes smaller candidate cases of SEED into DIR/<seed>_<candidate>/ (same layout): for every
      node, the sub-graph of its ancestors ending at it ("prefix<i>"), the node alone ("node<i>") and
      the node with the nodes producing its operands ("pair<i>"), their run-time operands made graph
      inputs fed onnxruntime's values; run the Rust test on
      DIR (scripts/diff-fuzz.sh --minimise SEED does both) and keep the smallest that still fails
  diff_fuzz.py keep CASE_DIR NAME --description TEXT [--tract-differs HOW]
      keeps a (minimised) case as golden/NAME/ (a golden case: model.onnx, input_<k>.npy, case.toml);
      with --tract-differs, a case where tract's decluttered plan disagrees with onnxruntime, as
      golden/diff_fuzz/NAME/ (run by the diff_fuzz test, which expects that disagreement)
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GOLDEN = Path(__file__).resolve().parent.parent
MAX_NODES = 8
MAX_ELEMS = 2048  # per tensor: small shapes, fast runs
MAX_BOUND = 1e3  # |x| bound every tensor must keep
MAX_ATTEMPTS = 50
CHECK_SHAPES = False
OPSETS = [13, 13, 17, 18, 20]  # 13 weighted double: the exporters' common opset
INT64_MAX = 2**63 - 1
INT64_MIN_PLUS_1 = -(2**63) + 1


class Reject(Exception):
    """The op drawn does not apply here; draw another (nothing was emitted)."""


class T:
    """A float tensor of the graph being built: name, static shape, |x| bound, positive lower bound."""

    def __init__(self, name: str, shape: list[int], bound: float, lo: float | None = None, is_input=False):
        self.name, self.shape, self.bound, self.lo, self.is_input = name, list(shape), float(bound), lo, is_input

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1


class Graph:
    def __init__(self, rng: np.random.Generator, opset: int):
        self.rng = rng
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.feeds: list[np.ndarray] = []
        self.pool: list[T] = []
        self._n = 0

    # -- helpers ------------------------------------------------------------------------------
    def fresh(self, p: str) -> str:
        self._n += 1
        return f"{p}{self._n}"

    def r(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def i(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def choice(self, xs):
        return xs[int(self.rng.integers(len(xs)))]

    def const(self, value, dtype=np.float32) -> str:
        arr = np.asarray(value).astype(dtype)
        name = self.fresh("c")
        self.inits.append(numpy_helper.from_array(arr.copy(order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64), np.int64)

    def weight(self, shape, fan_in: int) -> np.ndarray:
        return (self.rng.standard_normal(shape) / math.sqrt(max(fan_in, 1))).astype(np.float32)

    def add_input(self, shape: list[int], positive: bool = False) -> T:
        name = f"x{len(self.inputs)}"
        if positive:
            value = self.rng.uniform(0.25, 2.0, shape).astype(np.float32)
        else:
            value = self.rng.uniform(-2.0, 2.0, shape).astype(np.float32)
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        self.feeds.append(value)
        t = T(name, shape, 2.0, 0.25 if positive else None, is_input=True)
        self.pool.append(t)
        return t

    def node(self, op: str, inputs: list[str], n_out: int = 1, **attrs) -> list[str]:
        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.fresh(op + "_"), **attrs))
        return outs

    def emit(self, op: str, inputs: list[str], shape, bound: float, lo=None, **attrs) -> T:
        name = self.node(op, inputs, **attrs)[0]
        t = T(name, shape, bound, lo)
        self.pool.append(t)
        return t

    def room(self) -> int:
        return MAX_NODES - len(self.nodes)

    def pick(self, pred=lambda t: True) -> T:
        """A float tensor satisfying `pred`, recent ones preferred (so graphs are chains more often than not)."""
        cands = [t for t in self.pool if pred(t)]
        if not cands:
            raise Reject()
        weights = np.array([2.0**k for k in range(len(cands))])
        return cands[int(self.rng.choice(len(cands), p=weights / weights.sum()))]

    def positive(self, t: T) -> tuple[T, int]:
        """(t, 0) when t >= 0.1 is known, else the cost in nodes of making it positive (done by `make_positive`)."""
        return (t, 0) if t.lo is not None and t.lo >= 0.1 else (t, 2)

    def make_positive(self, t: T) -> T:
        if t.lo is not None and t.lo >= 0.1:
            return t
        a = self.emit("Abs", [t.name], t.shape, t.bound, None)
        c = self.r(0.25, 1.0)
        return self.emit("Add", [a.name, self.const(np.float32(c))], t.shape, t.bound + c, c)

    def broadcast_shape(self, shape: list[int]) -> list[int]:
        """A shape that broadcasts with `shape` (to exactly `shape`): a suffix, some dims set to 1."""
        k = self.i(0, len(shape)) if self.chance(0.4) else len(shape)
        suffix = shape[len(shape) - k:]
        return [1 if self.chance(0.4) else d for d in suffix]


def bshape(a: list[int], b: list[int]) -> list[int] | None:
    """numpy broadcast of two shapes, or None."""
    out = []
    for x, y in zip(([1] * (len(b) - len(a)) + a), ([1] * (len(a) - len(b)) + b)):
        if x != y and x != 1 and y != 1:
            return None
        out.append(max(x, y))
    return out


def axes_input(g: Graph) -> bool:
    """Whether reductions take `axes` as an input (opset >= 18)."""
    return g.opset >= 18


# =============================================================================================
# The ops. Each either raises Reject before emitting anything, or emits nodes and returns.
# =============================================================================================

UNARY = ["Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg", "Erf", "Softplus", "LeakyRelu",
         "HardSigmoid", "Clip", "Reciprocal", "Floor", "Ceil", "Sin", "Cos", "Elu", "Selu", "Softsign",
         "HardSwish", "ThresholdedRelu", "Identity", "Gelu", "Sign", "Round"]


def op_unary(g: Graph) -> None:
    kind = g.choice(UNARY)
    if (kind == "Gelu" and g.opset < 20) or (kind == "HardSwish" and g.opset < 14):
        raise Reject()
    needs_pos = kind in ("Log", "Sqrt", "Reciprocal")
    t = g.pick(lambda t: kind != "Exp" or t.bound <= 4)
    cost = 1 + (g.positive(t)[1] if needs_pos else 0)
    if cost > g.room() or (kind in ("Softplus", "Elu", "Selu") and t.bound > 20):
        raise Reject()
    if needs_pos:
        t = g.make_positive(t)
    b, s = t.bound, t.shape
    if kind == "Relu":
        g.emit("Relu", [t.name], s, b)
    elif kind in ("Sigmoid",):
        g.emit(kind, [t.name], s, 1.0, 1 / (1 + math.exp(b)))
    elif kind in ("Tanh", "Erf", "Softsign", "Sin", "Cos"):
        g.emit(kind, [t.name], s, 1.0)
    elif kind == "Exp":
        g.emit("Exp", [t.name], s, math.exp(b), math.exp(-b))
    elif kind == "Log":
        g.emit("Log", [t.name], s, max(abs(math.log(t.lo)), math.log(b)) + 1)
    elif kind == "Sqrt":
        g.emit("Sqrt", [t.name], s, math.sqrt(b), math.sqrt(t.lo))
    elif kind == "Reciprocal":
        g.emit("Reciprocal", [t.name], s, 1 / t.lo, 1 / b)
    elif kind in ("Abs", "Neg", "Floor", "Ceil", "Identity", "Round"):
        g.emit(kind, [t.name], s, b + 1 if kind in ("Floor", "Ceil", "Round") else b,
               t.lo if kind in ("Abs", "Identity") else None)
    elif kind == "Sign":
        g.emit("Sign", [t.name], s, 1.0)
    elif kind == "Softplus":
        g.emit("Softplus", [t.name], s, b + 1)
    elif kind == "LeakyRelu":
        g.emit("LeakyRelu", [t.name], s, b, alpha=g.r(0.01, 0.5))
    elif kind == "ThresholdedRelu":
        g.emit("ThresholdedRelu", [t.name], s, b, alpha=g.r(0.0, 1.0))
    elif kind == "Elu":
        g.emit("Elu", [t.name], s, b + 1, alpha=g.r(0.1, 2.0))
    elif kind == "Selu":
        g.emit("Selu", [t.name], s, 2 * (b + 1))
    elif kind == "HardSwish":
        g.emit("HardSwish", [t.name], s, b)
    elif kind == "HardSigmoid":
        if g.chance(0.3):
            g.emit("HardSigmoid", [t.name], s, 1.0)
        else:
            g.emit("HardSigmoid", [t.name], s, 1.0, alpha=g.r(0.1, 0.5), beta=g.r(0.2, 0.8))
    elif kind == "Clip":
        lo, hi = sorted([g.r(-1.5, 1.0), g.r(-1.0, 1.5)])
        which = g.i(0, 3)
        if which == 0:
            ins = [t.name, g.const(np.float32(lo)), g.const(np.float32(hi))]
        elif which == 1:
            ins = [t.name, "", g.const(np.float32(hi))]
        elif which == 2:
            ins = [t.name, g.const(np.float32(lo))]
        else:
            ins = [t.name]
        g.emit("Clip", ins, s, max(min(b, max(abs(lo), abs(hi))), 1.5) if which < 3 else b)
    elif kind == "Gelu":
        g.emit("Gelu", [t.name], s, b, approximate=g.choice(["none", "tanh"]))


def other_operand(g: Graph, a: T, positive=False, nonzero=False) -> tuple[str, list[int], float, float | None, int]:
    """The second operand of a binary op with `a`: (name, shape, bound, lo, nodes it costs). A constant
    of a broadcastable shape, a scalar, or another tensor of the graph whose shape broadcasts with a's."""
    roll = g.rng.random()
    if roll < 0.3:
        cands = [t for t in g.pool if t is not a and bshape(t.shape, a.shape) is not None
                 and int(np.prod(bshape(t.shape, a.shape))) <= MAX_ELEMS]
        if cands:
            t = g.choice(cands)
            if positive or nonzero:  # a tensor divisor could be near 0: make it >= 0.25
                cost = g.positive(t)[1]
                if cost + 1 > g.room():
                    raise Reject()
                t = g.make_positive(t)
                return t.name, t.shape, t.bound, t.lo, cost
            return t.name, t.shape, t.bound, t.lo, 0
    shape = [] if roll > 0.85 else g.broadcast_shape(a.shape)
    if positive:
        v = g.rng.uniform(0.5, 2.0, shape).astype(np.float32)
        return g.const(v), shape, float(np.max(v)), float(np.min(v)), 0
    v = g.rng.uniform(-2.0, 2.0, shape).astype(np.float32)
    if nonzero:
        v = np.where(np.abs(v) < 0.5, np.sign(v) * 0.5 + (v == 0) * 0.5, v).astype(np.float32)
    return g.const(v), shape, float(np.max(np.abs(v))) if v.size else 0.0, None, 0


def op_binary(g: Graph) -> None:
    kind = g.choice(["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Add", "Mul", "Div"])
    a = g.pick()
    if kind == "Pow":
        cost = g.positive(a)[1]
        if cost + 1 > g.room():
            raise Reject()
        if g.chance(0.6):  # constant exponent: PowConst, Square, Sqrt-like
            e = float(g.choice([2.0, 3.0, 0.5, -1.0, g.r(-1.5, 2.5)]))
            if max(a.bound + 1, 1.0) ** max(e, 0) > MAX_BOUND:
                raise Reject()
            a = g.make_positive(a)
            shape = [] if g.chance(0.7) else [1] * g.i(0, a.rank)
            g.emit("Pow", [a.name, g.const(np.full(shape, e, np.float32))], a.shape, max(a.bound, 1) ** max(e, 0) + a.lo ** min(e, 0),
                   None)
            return
        if max(a.bound + 1, 1.0) ** 2 > MAX_BOUND:
            raise Reject()
        a = g.make_positive(a)
        shape = g.broadcast_shape(a.shape)
        e = g.rng.uniform(-1.0, 2.0, shape).astype(np.float32)
        g.emit("Pow", [a.name, g.const(e)], a.shape, max(a.bound, 1) ** 2 + a.lo ** -1.0)
        return
    if g.room() < 1:
        raise Reject()
    name, shape, b2, lo2, _ = other_operand(g, a, positive=(kind == "Div" and g.chance(0.5)), nonzero=kind == "Div")
    out = bshape(a.shape, shape)
    if out is None or int(np.prod(out)) > MAX_ELEMS:
        raise Reject()  # (a positive-making prefix may have been emitted: harmless, still valid)
    if kind == "Div":
        denom = lo2 if lo2 is not None else 0.5
        bound = a.bound / denom
    elif kind == "Mul":
        bound = a.bound * b2
    elif kind in ("Add", "Sub"):
        bound = a.bound + b2
    else:
        bound = max(a.bound, b2)
    if bound > MAX_BOUND or g.room() < 1:
        raise Reject()
    ins = [a.name, name]
    if kind != "Div" and g.chance(0.4):
        ins.reverse()
    if kind in ("Max", "Min") and g.chance(0.3):
        v = g.rng.uniform(-1, 1, a.shape[-1:] if a.shape else []).astype(np.float32)
        ins.append(g.const(v))
    g.emit(kind, ins, out, bound, a.lo if kind == "Max" else None)


def op_compare_where(g: Graph) -> None:
    if g.room() < 2:
        raise Reject()
    kind = g.choice(["Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Equal"])
    a = g.pick()
    if kind == "Equal":
        # exact ties: compare a Relu/Floor-like tensor with 0, else one with itself
        other, oshape = (g.const(np.float32(0.0)), []) if g.chance(0.5) else (a.name, a.shape)
    else:
        other, oshape, _, _, _ = other_operand(g, a)
    cshape = bshape(a.shape, oshape)
    if cshape is None or int(np.prod(cshape)) > MAX_ELEMS:
        raise Reject()
    x = g.pick(lambda t: bshape(t.shape, cshape) is not None)
    if g.chance(0.5):
        yshape = g.broadcast_shape(cshape)
        yv = g.rng.uniform(-1, 1, yshape).astype(np.float32)
        y, yb = g.const(yv), 1.0
    else:
        y, yshape, yb, _, _ = other_operand(g, x)
    cx = bshape(cshape, x.shape)
    out = None if cx is None else bshape(cx, yshape)
    if out is None or int(np.prod(out)) > MAX_ELEMS:
        raise Reject()
    ins = [a.name, other] if g.chance(0.7) else [other, a.name]
    cond = g.node(kind, ins)[0]
    xy = [x.name, y] if g.chance(0.5) else [y, x.name]
    g.emit("Where", [cond] + xy, out, max(x.bound, yb))


def op_softmax(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1)
    axis = g.i(-a.rank, a.rank - 1)
    if g.chance(0.6):
        g.emit("Softmax", [a.name], a.shape, 1.0, axis=axis)
    else:
        g.emit("LogSoftmax", [a.name], a.shape, 2 * a.bound + math.log(max(a.shape[axis], 1)) + 1, axis=axis)


REDUCE = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceMean",
          "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]


def op_reduce(g: Graph) -> None:
    kind = g.choice(REDUCE)
    a = g.pick(lambda t: t.rank >= 1)
    r = a.rank
    if g.chance(0.15):
        axes = None
        red = list(range(r))
    else:
        red = sorted(int(x) for x in g.rng.choice(r, size=g.i(1, r), replace=False))
        axes = [x - r if g.chance(0.3) else x for x in red]
    keep = g.i(0, 1)
    n = int(np.prod([a.shape[x] for x in red])) if red else 1
    out = [1 if x in red else d for x, d in enumerate(a.shape)] if keep else [d for x, d in enumerate(a.shape) if x not in red]
    if kind == "ReduceProd":
        if max(a.bound, 1.0) ** n > MAX_BOUND:
            raise Reject()
        bound = max(a.bound, 1.0) ** n
    elif kind in ("ReduceSum", "ReduceL1"):
        bound = a.bound * n
    elif kind == "ReduceSumSquare":
        bound = a.bound**2 * n
    elif kind == "ReduceL2":
        bound = a.bound * math.sqrt(n)
    elif kind == "ReduceLogSumExp":
        bound = a.bound + math.log(n) + 1
    else:
        bound = a.bound
    if bound > MAX_BOUND:
        raise Reject()
    attrs = {"keepdims": keep}
    ins = [a.name]
    if axes is not None:
        if axes_input(g) or kind == "ReduceSum":
            ins.append(g.ints(axes))
        else:
            attrs["axes"] = axes
    g.emit(kind, ins, out, bound, **attrs)


def op_transpose(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 2)
    if g.chance(0.15):
        g.emit("Transpose", [a.name], a.shape[::-1], a.bound, a.lo)
        return
    perm = [int(x) for x in g.rng.permutation(a.rank)]
    g.emit("Transpose", [a.name], [a.shape[p] for p in perm], a.bound, a.lo, perm=perm)


def factorize(g: Graph, n: int, rank: int) -> list[int]:
    dims = []
    for _ in range(rank - 1):
        divs = [d for d in range(1, n + 1) if n % d == 0]
        d = g.choice(divs)
        dims.append(d)
        n //= d
    dims.append(n)
    g.rng.shuffle(dims)
    return dims


def op_reshape(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1)
    kind = g.choice(["Reshape", "Reshape", "Flatten", "Squeeze", "Unsqueeze"])
    if kind == "Reshape":
        new = factorize(g, a.size, g.i(1, 4))
        spec = list(new)
        if g.chance(0.4):
            spec[g.i(0, len(spec) - 1)] = -1
        if g.chance(0.3):
            zeros = [k for k in range(min(len(spec), a.rank)) if spec[k] == a.shape[k] and spec[k] != -1]
            if zeros:
                spec[g.choice(zeros)] = 0
        g.emit("Reshape", [a.name, g.ints(spec)], new, a.bound, a.lo)
    elif kind == "Flatten":
        axis = g.i(-a.rank, a.rank)
        ax = axis + a.rank if axis < 0 else axis
        shape = [int(np.prod(a.shape[:ax])), int(np.prod(a.shape[ax:]))]
        if g.chance(0.3):  # default axis 1
            g.emit("Flatten", [a.name], [a.shape[0], int(np.prod(a.shape[1:]))], a.bound, a.lo)
        else:
            g.emit("Flatten", [a.name], shape, a.bound, a.lo, axis=axis)
    elif kind == "Squeeze":
        ones = [k for k, d in enumerate(a.shape) if d == 1]
        if not ones or len(ones) == a.rank:
            raise Reject()
        if g.chance(0.25):
            g.emit("Squeeze", [a.name], [d for d in a.shape if d != 1], a.bound, a.lo)
            return
        axes = sorted(int(x) for x in g.rng.choice(ones, size=g.i(1, len(ones)), replace=False))
        shape = [d for k, d in enumerate(a.shape) if k not in axes]
        axes = [x - a.rank if g.chance(0.3) else x for x in axes]
        g.emit("Squeeze", [a.name, g.ints(axes)], shape, a.bound, a.lo)
    else:
        if a.rank >= 5:
            raise Reject()
        k = g.i(1, min(2, 5 - a.rank))
        r = a.rank + k
        axes = sorted(int(x) for x in g.rng.choice(r, size=k, replace=False))
        shape = list(a.shape)
        for x in axes:
            shape.insert(x, 1)
        axes = [x - r if g.chance(0.3) else x for x in axes]
        g.emit("Unsqueeze", [a.name, g.ints(axes)], shape, a.bound, a.lo)


def op_concat(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1)
    axis = g.i(0, a.rank - 1)
    ins, total, bound = [a.name], a.shape[axis], a.bound
    for _ in range(g.i(1, 2)):
        same = [t for t in g.pool if t.rank == a.rank and all(d == e for k, (d, e) in enumerate(zip(t.shape, a.shape)) if k != axis)]
        if g.chance(0.5) and same:
            t = g.choice(same)
            ins.append(t.name)
            total += t.shape[axis]
            bound = max(bound, t.bound)
        else:
            s = list(a.shape)
            s[axis] = g.i(1, 4)
            ins.append(g.const(g.rng.uniform(-1, 1, s)))
            total += s[axis]
    g.rng.shuffle(ins)
    shape = list(a.shape)
    shape[axis] = total
    if int(np.prod(shape)) > MAX_ELEMS:
        raise Reject()
    g.emit("Concat", ins, shape, bound, axis=axis - a.rank if g.chance(0.3) else axis)


def onnx_slice_len(dim: int, start: int, end: int, step: int) -> int:
    """Output length of ONNX Slice on one axis (the operator spec's clamping)."""
    if start < 0:
        start += dim
    if end < 0:
        end += dim
    if step > 0:
        start = min(max(start, 0), dim)
        end = min(max(end, 0), dim)
        return max(0, -(-(end - start) // step))
    start = min(max(start, 0), dim - 1)
    end = min(max(end, -1), dim - 1)
    return max(0, -(-(start - end) // -step))


def op_slice(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1 and max(t.shape) >= 2)
    cand = [k for k, d in enumerate(a.shape) if d >= 2]
    axes = sorted(int(x) for x in g.rng.choice(cand, size=g.i(1, len(cand)), replace=False))
    starts, ends, steps, shape = [], [], [], list(a.shape)
    for ax in axes:
        d = a.shape[ax]
        for _ in range(20):
            step = g.choice([1, 1, 2, 3, -1, -1, -2, -3])
            if step > 0:
                s = g.choice([0, g.i(0, d - 1), g.i(-d, -1), -d - 2])
                e = g.choice([d, g.i(1, d), g.i(-d, -1), INT64_MAX, d + 5])
            else:
                s = g.choice([d - 1, g.i(0, d - 1), g.i(-d, -1), -1, INT64_MAX])
                e = g.choice([-d - 1, g.i(-d, d - 2), INT64_MIN_PLUS_1, -d - 5])
            n = onnx_slice_len(d, s, e, step)
            if n >= 1:
                break
        else:
            raise Reject()
        starts.append(s)
        ends.append(e)
        steps.append(step)
        shape[ax] = n
    full = len(axes) == a.rank and axes == list(range(a.rank))
    ins = [a.name, g.ints(starts), g.ints(ends)]
    if not (full and all(s == 1 for s in steps) and g.chance(0.5)):
        ins.append(g.ints([x - a.rank if g.chance(0.3) else x for x in axes]))
        if not all(s == 1 for s in steps) or g.chance(0.5):
            ins.append(g.ints(steps))
    g.emit("Slice", ins, shape, a.bound, a.lo)


def op_gather(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1)
    axis = g.i(0, a.rank - 1)
    d = a.shape[axis]
    form = g.i(0, 2) if a.rank >= 2 else g.i(1, 2)
    ishape = [] if form == 0 else ([g.i(1, 5)] if form == 1 else [g.i(1, 3), g.i(1, 3)])
    idx = g.rng.integers(-d, d, ishape).astype(np.int64)
    shape = a.shape[:axis] + ishape + a.shape[axis + 1:]
    if int(np.prod(shape)) > MAX_ELEMS:
        raise Reject()
    g.emit("Gather", [a.name, g.const(idx, np.int64)], shape, a.bound, a.lo, axis=axis - a.rank if g.chance(0.3) else axis)


def op_pad(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1)
    begins = [g.i(0, 3) if g.chance(0.5) else 0 for _ in a.shape]
    ends = [g.i(0, 3) if g.chance(0.5) else 0 for _ in a.shape]
    shape = [d + b + e for d, b, e in zip(a.shape, begins, ends)]
    if int(np.prod(shape)) > MAX_ELEMS:
        raise Reject()
    v = g.r(-1.5, 1.5) if g.chance(0.6) else 0.0
    ins = [a.name, g.ints(begins + ends)]
    if v != 0.0 or g.chance(0.3):
        ins.append(g.const(np.float32(v)))
    g.emit("Pad", ins, shape, max(a.bound, abs(v)), mode="constant")


def conv_out(length: int, k: int, s: int, d: int, pb: int, pe: int) -> int:
    return (length + pb + pe - ((k - 1) * d + 1)) // s + 1


def spatial_input(g: Graph) -> T:
    return g.pick(lambda t: t.rank in (3, 4) and t.shape[1] <= 16)


def op_conv(g: Graph) -> None:
    a = spatial_input(g)
    n, c, sp = a.shape[0], a.shape[1], a.shape[2:]
    divs = [x for x in range(1, c + 1) if c % x == 0]
    group = g.choice([1, 1, c, g.choice(divs)])
    m = group * g.i(1, 3) if group > 1 else g.i(1, 8)
    ks, ss, ds, pb, pe, outs = [], [], [], [], [], []
    auto = g.choice(["NOTSET"] * 6 + ["SAME_UPPER", "SAME_LOWER", "VALID"])
    for length in sp:
        for _ in range(20):
            k = g.i(1, min(7, length + 2))
            d = g.choice([1, 1, 2, 3])
            s = g.choice([1, 1, 2, 3])
            if auto != "NOTSET":
                # SAME_* pads to ceil(L / s) outputs: only with dilation 1 in this generator (ORT and
                # tract agree there); VALID takes no padding.
                d = 1 if auto.startswith("SAME") else d
                b = e = 0
                out = -(-length // s) if auto.startswith("SAME") else conv_out(length, k, s, d, 0, 0)
            else:
                b = g.i(0, k - 1) if g.chance(0.6) else 0
                e = g.i(0, k - 1) if g.chance(0.6) else 0
                out = conv_out(length, k, s, d, b, e)
            if out >= 1:
                break
        else:
            raise Reject()
        ks.append(k), ss.append(s), ds.append(d), pb.append(b), pe.append(e), outs.append(out)
    shape = [n, m] + outs
    if int(np.prod(shape)) > MAX_ELEMS:
        raise Reject()
    fan = c // group * int(np.prod(ks))
    w = g.weight([m, c // group] + ks, fan)
    ins = [a.name, g.const(w)]
    if g.chance(0.5):
        ins.append(g.const(g.rng.uniform(-0.5, 0.5, [m])))
    attrs = {"group": group} if group > 1 or g.chance(0.3) else {}
    if g.chance(0.8):
        attrs["kernel_shape"] = ks
    if any(s != 1 for s in ss) or g.chance(0.3):
        attrs["strides"] = ss
    if any(d != 1 for d in ds) or g.chance(0.3):
        attrs["dilations"] = ds
    if auto != "NOTSET":
        attrs["auto_pad"] = auto
    elif any(pb + pe) or g.chance(0.3):
        attrs["pads"] = pb + pe
    bound = a.bound * float(np.max(np.sum(np.abs(w.reshape(m, -1)), axis=1))) + 0.5
    if bound > MAX_BOUND:
        raise Reject()
    g.emit("Conv", ins, shape, bound, **attrs)


def op_pool(g: Graph) -> None:
    a = spatial_input(g)
    kind = g.choice(["MaxPool", "AveragePool", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"])
    if kind.startswith("Global"):
        g.emit(kind, [a.name], a.shape[:2] + [1] * (a.rank - 2), a.bound, a.lo if kind == "GlobalMaxPool" else None)
        return
    ks, ss, ds, pb, pe, outs = [], [], [], [], [], []
    dil = kind == "MaxPool" and g.chance(0.2)
    for length in a.shape[2:]:
        for _ in range(20):
            k = g.i(1, min(5, length))
            s = g.choice([1, 2, 2, 3])
            d = g.choice([1, 2]) if dil else 1
            b = g.i(0, k - 1) if g.chance(0.4) else 0
            e = g.i(0, k - 1) if g.chance(0.4) else 0
            out = conv_out(length, k, s, d, b, e)
            if out >= 1:
                break
        else:
            raise Reject()
        ks.append(k), ss.append(s), ds.append(d), pb.append(b), pe.append(e), outs.append(out)
    attrs = {"kernel_shape": ks}
    if any(s != 1 for s in ss) or g.chance(0.3):
        attrs["strides"] = ss
    if any(pb + pe) or g.chance(0.2):
        attrs["pads"] = pb + pe
    if dil:
        attrs["dilations"] = ds
    if kind == "AveragePool" and g.chance(0.5):
        attrs["count_include_pad"] = g.i(0, 1)
    g.emit(kind, [a.name], a.shape[:2] + outs, a.bound, **attrs)


def op_matmul(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1 and t.rank <= 4)
    k = a.shape[-1]
    n = g.i(1, 8)
    roll = g.rng.random()
    if a.rank >= 2 and roll < 0.25:
        # tensor × tensor: a @ b with b another tensor whose last two dims are [k, n]
        cands = [t for t in g.pool if t.rank >= 2 and t.shape[-2] == k and bshape(t.shape[:-2], a.shape[:-2]) is not None]
        if cands:
            b = g.choice(cands)
            batch = bshape(a.shape[:-2], b.shape[:-2])
            shape = batch + [a.shape[-2], b.shape[-1]]
            bound = a.bound * b.bound * k
            if bound > MAX_BOUND or int(np.prod(shape)) > MAX_ELEMS:
                raise Reject()
            g.emit("MatMul", [a.name, b.name], shape, bound)
            return
    if roll < 0.5 and a.rank >= 2:
        # constant on the left: [m, a.shape[-2]] @ a
        mrows = g.i(1, 6)
        w = g.weight([mrows, a.shape[-2]], a.shape[-2])
        shape = a.shape[:-2] + [mrows, a.shape[-1]]
        bound = a.bound * float(np.max(np.sum(np.abs(w), axis=1)))
        if int(np.prod(shape)) > MAX_ELEMS or bound > MAX_BOUND:
            raise Reject()
        g.emit("MatMul", [g.const(w), a.name], shape, bound)
        return
    bdims = [] if g.chance(0.7) or a.rank < 3 else [d if g.chance(0.5) else 1 for d in a.shape[-3:-2]]
    w = g.weight(bdims + [k, n], k)
    if a.rank == 1:
        shape = bdims + [n]
    else:
        shape = (bshape(a.shape[:-2], bdims) or []) + [a.shape[-2], n]
    bound = a.bound * float(np.max(np.sum(np.abs(w.reshape(-1, k, n)), axis=1)))
    if int(np.prod(shape)) > MAX_ELEMS or bound > MAX_BOUND:
        raise Reject()
    g.emit("MatMul", [a.name, g.const(w)], shape, bound)


def op_gemm(g: Graph) -> None:
    a = g.pick(lambda t: t.rank == 2)
    ta = g.chance(0.3)
    m, k = (a.shape[1], a.shape[0]) if ta else (a.shape[0], a.shape[1])
    n = g.i(1, 10)
    tb = g.chance(0.5)
    w = g.weight([n, k] if tb else [k, n], k)
    alpha = g.r(0.3, 1.5) if g.chance(0.5) else 1.0
    beta = g.r(0.3, 1.5) if g.chance(0.5) else 1.0
    ins = [a.name, g.const(w)]
    cb = 0.0
    if g.chance(0.7):
        cshape = g.choice([[n], [1, n], [m, n], [m, 1], []])
        c = g.rng.uniform(-1, 1, cshape).astype(np.float32)
        ins.append(g.const(c))
        cb = abs(beta)
    attrs = {}
    if ta:
        attrs["transA"] = 1
    if tb:
        attrs["transB"] = 1
    if alpha != 1.0:
        attrs["alpha"] = alpha
    if beta != 1.0:
        attrs["beta"] = beta
    bound = abs(alpha) * a.bound * float(np.max(np.sum(np.abs(w), axis=1 if tb else 0))) + cb
    if bound > MAX_BOUND or m * n > MAX_ELEMS:
        raise Reject()
    g.emit("Gemm", ins, [m, n], bound, **attrs)


def op_batchnorm(g: Graph) -> None:
    a = g.pick(lambda t: 2 <= t.rank <= 4)
    c = a.shape[1]
    scale = g.rng.uniform(0.5, 1.5, [c]).astype(np.float32)
    bias = g.rng.uniform(-0.5, 0.5, [c]).astype(np.float32)
    mean = g.rng.uniform(-0.5, 0.5, [c]).astype(np.float32)
    var = g.rng.uniform(0.5, 2.0, [c]).astype(np.float32)
    eps = g.choice([1e-5, 1e-3, 0.1])
    bound = (a.bound + 0.5) * 1.5 / math.sqrt(0.5) + 0.5
    g.emit("BatchNormalization", [a.name] + [g.const(x) for x in (scale, bias, mean, var)], a.shape, bound, epsilon=eps)


def op_layernorm(g: Graph) -> None:
    if g.opset < 17:
        raise Reject()
    a = g.pick(lambda t: t.rank >= 1)
    axis = g.i(-a.rank, a.rank - 1)
    ax = axis % a.rank
    n = int(np.prod(a.shape[ax:]))
    if n < 2:
        raise Reject()
    norm = a.shape[ax:]
    ins = [a.name, g.const(g.rng.uniform(0.5, 1.5, norm))]
    if g.chance(0.6):
        ins.append(g.const(g.rng.uniform(-0.5, 0.5, norm)))
    attrs = {"axis": axis} if axis != -1 or g.chance(0.3) else {}
    if g.chance(0.4):
        attrs["epsilon"] = g.choice([1e-6, 1e-3, 0.01])
    g.emit("LayerNormalization", ins, a.shape, 1.5 * math.sqrt(n) + 0.5, **attrs)


def op_expand(g: Graph) -> None:
    a = g.pick(lambda t: t.rank <= 4)
    shape = [g.i(2, 4) if d == 1 and g.chance(0.7) else d for d in a.shape]
    if g.chance(0.4):
        shape = [g.i(1, 3)] + shape
    spec = [1 if (d == e and g.chance(0.3)) else d for d, e in zip(shape[-a.rank:] if a.rank else [], a.shape)]
    spec = shape[: len(shape) - a.rank] + spec
    if int(np.prod(shape)) > MAX_ELEMS:
        raise Reject()
    g.emit("Expand", [a.name, g.ints(spec)], shape, a.bound, a.lo)


def op_split(g: Graph) -> None:
    a = g.pick(lambda t: t.rank >= 1 and max(t.shape) >= 2)
    axis = g.choice([k for k, d in enumerate(a.shape) if d >= 2])
    d = a.shape[axis]
    parts = g.i(2, min(3, d))
    cuts = sorted(int(x) for x in g.rng.choice(np.arange(1, d), size=parts - 1, replace=False))
    sizes = [b - e for b, e in zip(cuts + [d], [0] + cuts)]
    ins, attrs = [a.name], {"axis": axis - a.rank if g.chance(0.3) else axis}
    if g.opset >= 18 and all(s == sizes[0] for s in sizes) and g.chance(0.5):
        attrs["num_outputs"] = parts
    else:
        ins.append(g.ints(sizes))
    outs = g.node("Split", ins, n_out=parts, **attrs)
    for name, s in zip(outs, sizes):
        shape = list(a.shape)
        shape[axis] = s
        g.pool.append(T(name, shape, a.bound, a.lo))


OPS = [
    (op_unary, 6), (op_binary, 6), (op_compare_where, 2), (op_softmax, 2), (op_reduce, 3), (op_transpose, 2),
    (op_reshape, 3), (op_concat, 2), (op_slice, 2), (op_gather, 2), (op_pad, 2), (op_conv, 4), (op_pool, 2),
    (op_matmul, 3), (op_gemm, 2), (op_batchnorm, 1), (op_layernorm, 1), (op_expand, 1), (op_split, 1),
]


def random_shape(g: Graph) -> list[int]:
    rank = g.choice([1, 2, 2, 3, 3, 3, 4, 4])
    if rank >= 3:
        shape = [1 if g.chance(0.85) else 2, g.i(1, 8)] + [g.i(3, 24) if rank == 3 else g.i(2, 10) for _ in range(rank - 2)]
    else:
        shape = [g.i(1, 12) for _ in range(rank)]
    return shape


def draw(seed: int, attempt: int) -> tuple[onnx.ModelProto, list[np.ndarray], dict]:
    rng = np.random.default_rng([seed, attempt])
    g = Graph(rng, int(rng.choice(OPSETS)))
    g.add_input(random_shape(g), positive=g.chance(0.1))
    if g.chance(0.3):
        base = g.pool[0].shape
        g.add_input(base if g.chance(0.6) else random_shape(g))
    target = g.i(1, MAX_NODES)
    ops, weights = zip(*OPS)
    p = np.array(weights, dtype=float) / sum(weights)
    tries = 0
    while len(g.nodes) < target and tries < 200:
        tries += 1
        before = (len(g.nodes), len(g.inits), len(g.pool))
        try:
            ops[int(rng.choice(len(ops), p=p))](g)
        except Reject:
            # drop anything a rejected op emitted (a positive-making prefix)
            del g.nodes[before[0]:], g.inits[before[1]:], g.pool[before[2]:]
    if not g.nodes:
        raise Reject()
    if len(g.nodes) > MAX_NODES:
        raise Reject()
    produced = [t for t in g.pool if not t.is_input]
    outs = [produced[-1]]
    others = [t for t in produced[:-1]]
    if others and g.chance(0.25):
        outs.append(g.choice(others))
    outputs = [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, None) for t in outs]
    graph = helper.make_graph(g.nodes, f"fuzz_{seed}", g.inputs, outputs, initializer=g.inits)
    opsets = [helper.make_opsetid("", g.opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="ecgc-diff-fuzz", producer_version="1",
                              ir_version=helper.find_min_ir_version_for(opsets))
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for out in model.graph.output:
        info = known[out.name]
        if info.type.tensor_type.elem_type != TensorProto.FLOAT:
            raise Reject()
        dims = info.type.tensor_type.shape.dim
        if not all(d.HasField("dim_value") for d in dims):
            raise Reject()
        out.type.CopyFrom(info.type)
    onnx.checker.check_model(model, full_check=True)
    if CHECK_SHAPES:  # the generator's own shape bookkeeping against ONNX's (a generator self-test)
        every = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in known.values()}
        for t in g.pool:
            if not t.is_input and t.name in every and every[t.name] != t.shape:
                raise AssertionError(f"seed {seed}/{attempt}: {t.name} tracked {t.shape}, ONNX says {every[t.name]}")
    meta = {"seed": seed, "attempt": attempt, "opset": g.opset, "nodes": len(g.nodes),
            "ops": sorted({n.op_type for n in g.nodes})}
    return model, g.feeds, meta


def ort_run(model: onnx.ModelProto, feeds: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 4
    s = ort.InferenceSession(model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"])
    res = s.run(None, {i.name: f for i, f in zip(s.get_inputs(), feeds)})
    return [np.asarray(r) for r in res]


def make_case(seed: int) -> tuple[onnx.ModelProto, list[np.ndarray], list[np.ndarray], dict]:
    """The case of `seed`: the first attempt that is valid and runs in onnxruntime with finite,
    bounded outputs."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            model, feeds, meta = draw(seed, attempt)
            outs = ort_run(model, feeds)
        except Reject:
            continue
        except Exception:  # onnx checker or onnxruntime rejected the graph: draw again
            continue
        if any(o.dtype != np.float32 or not np.all(np.isfinite(o)) or (o.size and np.max(np.abs(o)) > 1e4) for o in outs):
            continue
        return model, feeds, outs, meta
    raise SystemExit(f"seed {seed}: no valid graph in {MAX_ATTEMPTS} attempts")


def write_case(folder: Path, model: onnx.ModelProto, feeds, outs, meta) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(model.SerializeToString(deterministic=True))
    for k, v in enumerate(feeds):
        np.save(folder / f"input_{k}.npy", np.ascontiguousarray(v, dtype=np.float32), allow_pickle=False)
    for k, v in enumerate(outs):
        np.save(folder / f"ort_output_{k}.npy", np.array(v, dtype=np.float32, order="C"), allow_pickle=False)
    (folder / "case.json").write_text(json.dumps(meta, sort_keys=True) + "\n")


# =============================================================================================
# Minimising: smaller candidates of a case
# =============================================================================================


def with_outputs(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """`model` whose graph outputs are `names` (typed by shape inference)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input)}
    del m.graph.output[:]
    for n in names:
        m.graph.output.append(known[n])
    return m


def prune(model: onnx.ModelProto) -> onnx.ModelProto:
    """Drops nodes, initializers and inputs that no graph output depends on."""
    g = model.graph
    need = {o.name for o in g.output}
    keep = []
    for n in reversed(list(g.node)):
        if any(o in need for o in n.output):
            keep.append(n)
            need.update(i for i in n.input if i)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    inits = [t for t in g.initializer if t.name in need]
    del g.initializer[:]
    g.initializer.extend(inits)
    return model


def minimise(seed: int, out: Path) -> None:
    model, feeds, _, meta = make_case(seed)
    nodes = list(model.graph.node)
    inits = {t.name for t in model.graph.initializer}
    float_names = [n for nd in nodes for n in nd.output]
    every = with_outputs(model, float_names)
    values = dict(zip(float_names, ort_run(every, feeds)))
    for i in model.graph.input:
        values[i.name] = feeds[[x.name for x in model.graph.input].index(i.name)]
    written = []
    for k, nd in enumerate(nodes):
        outs = [o for o in nd.output if values[o].dtype == np.float32]
        if not outs:
            continue
        # 1. the ancestors of node k, ending at it
        m = prune(with_outputs(model, outs))
        used = {i for n in m.graph.node for i in n.input}
        keep_inputs = [(i, f) for i, f in zip(m.graph.input, feeds) if i.name in used]
        del m.graph.input[:]
        m.graph.input.extend(i for i, _ in keep_inputs)
        try:
            onnx.checker.check_model(m, full_check=True)
            o = ort_run(m, [f for _, f in keep_inputs])
            name = f"{seed}_prefix{k}"
            write_case(out / name, m, [f for _, f in keep_inputs], o,
                       dict(meta, nodes=len(m.graph.node), ops=sorted({n.op_type for n in m.graph.node}), candidate=name))
            written.append(name)
        except Exception as e:
            print(f"{seed} prefix{k}: skipped ({type(e).__name__}: {e})", file=sys.stderr)
        # 2. node k alone, and 3. node k with the nodes producing its operands: their run-time
        #    operands made graph inputs fed onnxruntime's values
        producers = {o: j for j, n in enumerate(nodes) for o in n.output}
        direct = sorted({producers[i] for i in nd.input if i in producers})
        for label, chosen in (("node", [k]), ("pair", direct + [k])):
            if label == "pair" and not direct:
                continue
            made = {o for j in chosen for o in nodes[j].output}
            run_ins = [i for j in chosen for i in nodes[j].input if i and i not in inits and i not in made]
            run_ins = list(dict.fromkeys(run_ins))
            if not run_ins or any(values[i].dtype != np.float32 for i in run_ins):
                continue
            m2 = onnx.ModelProto()
            m2.CopyFrom(with_outputs(model, outs))
            del m2.graph.node[:]
            m2.graph.node.extend(nodes[j] for j in chosen)
            del m2.graph.input[:]
            for i in run_ins:
                m2.graph.input.append(helper.make_tensor_value_info(i, TensorProto.FLOAT, list(values[i].shape)))
            prune(m2)
            try:
                onnx.checker.check_model(m2, full_check=True)
                f2 = [np.ascontiguousarray(values[i], dtype=np.float32) for i in run_ins]
                o = ort_run(m2, f2)
                name = f"{seed}_{label}{k}"
                write_case(out / name, m2, f2, o, dict(meta, nodes=len(m2.graph.node),
                                                       ops=sorted({n.op_type for n in m2.graph.node}), candidate=name))
                written.append(name)
            except Exception as e:
                print(f"{seed} {label}{k}: skipped ({type(e).__name__}: {e})", file=sys.stderr)
    print("\n".join(written))


def keep(case_dir: Path, name: str, description: str, tract_differs: str | None) -> None:
    """Keeps a (minimised) case: as a golden case golden/NAME/, or, when tract's decluttered plan is
    known to disagree with onnxruntime on it (`tract_differs` says how), as golden/diff_fuzz/NAME/,
    which the diff_fuzz test runs (the golden suite requires tract and onnxruntime to agree)."""
    meta = json.loads((case_dir / "case.json").read_text())
    dest = (GOLDEN / "diff_fuzz" / name) if tract_differs else (GOLDEN / name)
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("input_*.npy"):
        stale.unlink()
    shutil.copy(case_dir / "model.onnx", dest / "model.onnx")
    for p in sorted(case_dir.glob("input_*.npy")):
        shutil.copy(p, dest / p.name)
    model = onnx.load(str(dest / "model.onnx"))
    ops = sorted({n.op_type for n in model.graph.node})
    lines = [
        f"description = {json.dumps(description, ensure_ascii=False)}",
        "ops = [" + ", ".join(json.dumps(o) for o in ops) + "]",
        'made_by = "golden/tools/diff_fuzz.py"',
        "tolerance = 1e-05",
        f"diff_fuzz_seed = {meta['seed']}",
        f"diff_fuzz_candidate = {json.dumps(meta.get('candidate', str(meta['seed'])))}",
    ]
    if tract_differs:
        lines.append(f"tract_differs = {json.dumps(tract_differs, ensure_ascii=False)}")
    (dest / "case.toml").write_text("\n".join(lines) + "\n")
    print(f"{dest.relative_to(GOLDEN.parent)}: {len(model.graph.node)} nodes, ops {', '.join(ops)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("gen")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("show")
    p.add_argument("seed", type=int)
    p = sub.add_parser("minimise")
    p.add_argument("seed", type=int)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("keep")
    p.add_argument("case_dir", type=Path)
    p.add_argument("name")
    p.add_argument("--description", required=True)
    p.add_argument("--tract-differs", metavar="HOW")
    args = parser.parse_args(argv)
    if args.cmd == "gen":
        if args.start < 0 or args.count < 0:
            print("--start and --count must be >= 0", file=sys.stderr)
            return 2
        args.out.mkdir(parents=True, exist_ok=True)
        for seed in range(args.start, args.start + args.count):
            write_case(args.out / str(seed), *make_case(seed))
    elif args.cmd == "show":
        model, _, outs, meta = make_case(args.seed)
        print(json.dumps(meta))
        print(onnx.helper.printable_graph(model.graph))
        print("outputs:", [list(o.shape) for o in outs])
    elif args.cmd == "minimise":
        minimise(args.seed, args.out)
    else:
        keep(args.case_dir, args.name, args.description, args.tract_differs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
