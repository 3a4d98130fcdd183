"""bench: the models of the Cortex-M7 benchmark (scripts/bench-m7.sh, docs/BENCH.md).

Regenerate bit-for-bit with ``bash examples/models/make.sh bench``. Every model here has RANDOM
weights drawn from a fixed seed (nothing is trained): they exist to be timed, in the shapes of
issue 9's table, so only their geometry matters. Each export is checked against PyTorch by
onnxruntime (max |err| <= 1e-4, ``common.export_check.check_export``, which also writes the
``.check.npz`` the Rust zoo test replays through tract), and the recurrent / state-space step graphs
are also checked over several steps against their unrolled or convolution forms. Writes the
``.onnx`` files, their ``.check.npz`` and README.md.

* ``cfc_ncp_step``: CfC cell wired as AutoNCP(20 units, 6 motor outputs), 75 inputs, one step
  (x_t [1,75], h [1,20]) → (y_t [1,6], h_next [1,20]); the wiring masks are folded into the weights
  by the exporter's constant folding (as the zoo's cfc-seq).
* ``cfc_ncp_unrolled8``: the same cell, a Python loop over 8 steps traced (the legacy exporter
  unrolls it): (x [1,8,75], h [1,20]) → (y [1,8,6], h_next [1,20]).
* ``s4d_layer_step``: one S4D-ECG layer, one step, H = 128, N = 64 (32 complex modes per channel as
  real/imaginary state pairs, as the zoo's s4d-ecg step graph): (u_t [1,128], xr [1,128,32],
  xi [1,128,32]) → (y_t [1,128], xr_next, xi_next); y_t = LayerNorm(GLU(Linear(GELU(s4d))) + u_t).
* ``ccfc_step``: CCfC one step with explicit CfC state: the zoo's ConvLSTM2D one-step front end
  (Conv2d 129 → 48 live gates, kernel (12,3), stride (1,2), hard-sigmoid/ReLU gates) → Dense(256 →
  75, ReLU) → CfC AutoNCP(20,6) one step → sigmoid: (x [1,1,12,33,129], h [1,20]) → (p [1,6],
  h_next [1,20]).
* kernel microbenchmarks: ``matvec_256x128`` (Linear 128 → 256: x [1,128] · W + b),
  ``matvec_20x75`` (Linear 75 → 20), ``fir64_depthwise`` (causal depthwise Conv1d, 16 channels,
  64 taps, no bias, input [1,16,256] → [1,16,256]: one ONNX Conv with pads [63, 0]) and
  ``conv_ecg_cnn_layer`` (the zoo ecg-cnn's biggest convolution alone: Conv1d 8 → 16, kernel 5,
  stride 2, padding 4, dilation 2, [1,8,120] → [1,16,60], with bias, no activation).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import ncp  # noqa: E402
from common import s4d  # noqa: E402

SEED = 9009
OPSET = 17
UNITS, MOTORS, WIRING_SEED, CFC_INPUTS, UNROLLED_T = 20, 6, 22222, 75, 8
H, N = 128, 64
FIR_C, FIR_L, FIR_K = 16, 256, 64


def seeded(i: int) -> None:
    """Every model draws its weights and probe inputs after ``torch.manual_seed(SEED + i)``, so
    changing one model leaves the others' bytes alone."""
    torch.manual_seed(SEED + i)
    np.random.seed(SEED + i)


def export(module, inputs: dict, outputs: list[str], name: str) -> str:
    """Export ``module`` on ``inputs`` (name → tensor) at opset 17, check with onnxruntime against
    PyTorch's outputs, write the ``.check.npz``. Returns the path."""
    path = os.path.join(HERE, name + ".onnx")
    module.eval()
    with torch.no_grad():
        out = module(*inputs.values())
    out = out if isinstance(out, tuple) else (out,)
    ec.export_onnx(module, tuple(inputs.values()), path, list(inputs), outputs, opset=OPSET)
    ec.check_export(path, {k: v.numpy() for k, v in inputs.items()},
                    {k: v.numpy() for k, v in zip(outputs, out)})
    return path


# ---------------------------------------------------------------- CfC AutoNCP(20, 6), 75 inputs
def cfc_models():
    seeded(1)
    cfc = ncp.wired_cfc(CFC_INPUTS, UNITS, MOTORS, seed=WIRING_SEED)
    step = ncp.CfcStep(cfc).eval()
    xs = torch.randn(1, 3 * UNROLLED_T, CFC_INPUTS)
    with torch.no_grad():
        _, h = ncp.run_steps(step, xs[:, :UNROLLED_T])  # a state reached by running, not zeros
    x_t = xs[:, UNROLLED_T].clone()
    p1 = export(step, {"x_t": x_t, "h": h.clone()}, ["y_t", "h_next"], "cfc_ncp_step")

    unrolled = ncp.CfcUnrolled(step, UNROLLED_T).eval()
    x8 = xs[:, UNROLLED_T: 2 * UNROLLED_T].clone()
    p2 = export(unrolled, {"x": x8, "h": h.clone()}, ["y", "h_next"], "cfc_ncp_unrolled8")

    # the step graph run 8 times by onnxruntime equals the unrolled graph run once
    sess1, sess8 = ort_session(p1), ort_session(p2)
    hs = h.numpy()
    ys = []
    for t in range(UNROLLED_T):
        y_t, hs = sess1.run(["y_t", "h_next"], {"x_t": x8[:, t].numpy(), "h": hs})
        ys.append(y_t)
    y8, h8 = sess8.run(["y", "h_next"], {"x": x8.numpy(), "h": h.numpy()})
    err = max(float(np.abs(np.stack(ys, 1) - y8).max()), float(np.abs(hs - h8).max()))
    print(f"  cfc step × {UNROLLED_T} (onnxruntime) vs unrolled: max |err| = {err:.2e}")
    assert err <= 1e-5, err
    return ncp.param_counts(cfc)


# ---------------------------------------------------------------- one S4D-ECG layer, one step
class S4dLayerStep(nn.Module):
    """One :class:`common.s4d.S4DBlock` as a step with explicit state (the block of the zoo's
    ``s4d.StepForm``): xr' = ar·xr − ai·xi + u, xi' = ar·xi + ai·xr,
    y = Σ_n (2cr·xr' − 2ci·xi') + D·u, then GELU → Linear(H→2H) → GLU → + u → LayerNorm."""

    def __init__(self, block: s4d.S4DBlock):
        super().__init__()
        self.block = block
        with torch.no_grad():
            ab, ct = block.kernel.discrete(torch.float64)
        self.register_buffer("ar", ab.real[None].float().contiguous())
        self.register_buffer("ai", ab.imag[None].float().contiguous())
        self.register_buffer("cr", (2.0 * ct.real)[None].float().contiguous())
        self.register_buffer("ci", (2.0 * ct.imag)[None].float().contiguous())

    def forward(self, u_t, xr, xi):
        xr_n = self.ar * xr - self.ai * xi + u_t[:, :, None]
        xi_n = self.ar * xi + self.ai * xr
        y = (self.cr * xr_n - self.ci * xi_n).sum(-1) + self.block.D * u_t
        return self.block.mix(y, u_t), xr_n, xi_n


def s4d_model():
    seeded(2)
    block = s4d.S4DBlock(H, N).eval()
    step = S4dLayerStep(block).eval()
    steps = 40
    u = torch.randn(1, steps, H)
    xr, xi = torch.zeros(1, H, N // 2), torch.zeros(1, H, N // 2)
    ys = []
    with torch.no_grad():
        for t in range(steps):
            y, xr, xi = step(u[:, t], xr, xi)
            ys.append(y)
        conv = block(u)  # the training form: causal convolution with the materialised kernel (FFT)
    err = float(np.abs(torch.stack(ys, 1).numpy() - conv.numpy()).max())
    print(f"  s4d layer: {steps} recurrent steps vs convolution form: max |err| = {err:.2e}")
    assert err <= 1e-4, err
    u_t = torch.randn(1, H)
    export(step, {"u_t": u_t, "xr": xr.clone(), "xi": xi.clone()}, ["y_t", "xr_next", "xi_next"],
           "s4d_layer_step")
    return s4d.param_count(block)


# ---------------------------------------------------------------- CCfC, one step with CfC state
class CcfcStep(nn.Module):
    """The zoo's ccfc (ConvLSTM2D one step from zero state → Dense(75, ReLU)) with the CfC run one
    step from an explicit state: (x [B,1,12,33,129], h [B,20]) → (sigmoid(motor) [B,6], h_next)."""

    def __init__(self):
        super().__init__()
        from ccfc.make import DENSE, CcfcNet

        self.net = CcfcNet(nn.Identity())
        self.cell = ncp.wired_cfc(DENSE, UNITS, MOTORS, seed=WIRING_SEED).rnn_cell

    def forward(self, x, h):
        z = self.net(x)  # relu(dense(convlstm(x))), the head being the identity
        motor, h_next = self.cell(z, h, 1.0)
        return torch.sigmoid(motor), h_next


def ccfc_model():
    seeded(3)
    model = CcfcStep().eval()
    x = torch.randn(1, 1, 12, 33, 129)
    h = torch.tanh(torch.randn(1, UNITS))
    export(model, {"x": x, "h": h}, ["p", "h_next"], "ccfc_step")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------- kernel microbenchmarks
def matvec_model(n_out: int, n_in: int, i: int):
    seeded(i)
    lin = nn.Linear(n_in, n_out)
    export(lin, {"x": torch.randn(1, n_in)}, ["y"], f"matvec_{n_out}x{n_in}")


def fir_model():
    """Causal depthwise FIR as ONE ONNX Conv with asymmetric pads [K−1, 0]: PyTorch cannot express
    that padding inside a Conv (its F.pad exports as a separate Pad with a run-time pads chain), so
    the exported valid convolution (input already K−1 longer) gets pads [K−1, 0] and the input
    shape [1, C, L] written into the graph, then onnxruntime checks it against
    conv1d(pad(x, (K−1, 0))) in PyTorch."""
    import onnx

    seeded(6)
    conv = nn.Conv1d(FIR_C, FIR_C, FIR_K, groups=FIR_C, bias=False).eval()
    x = torch.randn(1, FIR_C, FIR_L)
    with torch.no_grad():
        y = F.conv1d(F.pad(x, (FIR_K - 1, 0)), conv.weight, groups=FIR_C)
    path = os.path.join(HERE, "fir64_depthwise.onnx")
    padded = torch.zeros(1, FIR_C, FIR_L + FIR_K - 1)
    ec.export_onnx(conv, (padded,), path, ["x"], ["y"], opset=OPSET)
    m = onnx.load(path)
    (node,) = m.graph.node
    assert node.op_type == "Conv", node.op_type
    pads = [a for a in node.attribute if a.name == "pads"]
    for a in pads:
        node.attribute.remove(a)
    node.attribute.append(onnx.helper.make_attribute("pads", [FIR_K - 1, 0]))
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_value = FIR_L
    m.graph.output[0].type.tensor_type.shape.dim[2].dim_value = FIR_L
    del m.graph.value_info[:]
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    ec.assert_static(m)
    ec.check_export(path, {"x": x.numpy()}, {"y": y.numpy()})


def conv_model():
    seeded(7)
    conv = nn.Conv1d(8, 16, kernel_size=5, stride=2, padding=4, dilation=2)
    export(conv, {"x": torch.randn(1, 8, 120)}, ["y"], "conv_ecg_cnn_layer")


def ort_session(path: str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def main():
    ec.setup_determinism(SEED)
    cfc_counts = cfc_models()
    s4d_params = s4d_model()
    ccfc_params = ccfc_model()
    matvec_model(256, 128, 4)
    matvec_model(20, 75, 5)
    fir_model()
    conv_model()
    write_card(cfc_counts, s4d_params, ccfc_params)


FILES = [
    ("cfc_ncp_step", "CfC AutoNCP(20,6), 75 inputs, one step"),
    ("cfc_ncp_unrolled8", "same cell, 8 steps unrolled by the tracer"),
    ("s4d_layer_step", "one S4D-ECG layer step, H = 128, N = 64"),
    ("ccfc_step", "CCfC one step: ConvLSTM2D front end (Conv2d 129→48) + Dense(75) + CfC step"),
    ("matvec_256x128", "Linear 128 → 256 (Gemm)"),
    ("matvec_20x75", "Linear 75 → 20 (Gemm)"),
    ("fir64_depthwise", "causal depthwise Conv1d, 16 channels, 64 taps, L = 256"),
    ("conv_ecg_cnn_layer", "ecg-cnn's biggest Conv1d (8→16, k5, s2, p4, dilation 2) on [1,8,120]"),
]


def write_card(cfc_counts, s4d_params, ccfc_params):
    descs = [(ec.describe(os.path.join(HERE, f + ".onnx")), what) for f, what in FILES]
    rows = "\n".join(
        f"| `{d['file']}` | {what} | {d['bytes']} | {d['nodes']} | {ec.io_line(d['inputs'])} | "
        f"{ec.io_line(d['outputs'])} | {ec.ops_line(d)} |" for d, what in descs)
    card = f"""# bench — the models of the Cortex-M7 benchmark

Generated by `make.py`; regenerate bit-for-bit with `bash examples/models/make.sh bench`.
Measured by `bash scripts/bench-m7.sh` into [docs/BENCH.md](../../../docs/BENCH.md).

> **Random weights.** Nothing here is trained: every weight and every probe input is drawn from
> PyTorch's generator seeded with {SEED} + i (one i per model), so the files are reproducible and
> their numbers meaningless. They exist to be timed in the shapes of issue 9's table (CfC
> AutoNCP(20,6) with 75 inputs, an S4D-ECG layer step, a CCfC step) and as kernel
> microbenchmarks (matrix-vector, long depthwise FIR, a real convolution layer).

## Models
Exported with `torch.onnx.export` (torch {torch.__version__}, the TorchScript-based exporter),
opset {OPSET}, static shapes, batch 1, constant folding on.

| file | what | bytes | nodes | inputs | outputs | ops |
|---|---|---|---|---|---|---|
{rows}

- CfC: `ncps.torch.CfC({CFC_INPUTS}, AutoNCP({UNITS}, {MOTORS}))` (ncps 1.0.1, wiring seed {WIRING_SEED},
  mode "default", t = 1), {cfc_counts['trainable']} trainable parameters and
  {cfc_counts['mask_entries']} frozen mask entries, folded into the weights by the export.
  The unrolled graph starts from the same state as the step graph's check input.
- S4D layer: `common/s4d.py`'s S4DBlock (S4D-Lin initialisation, random C, Δ, D, Linear and
  LayerNorm), {s4d_params} parameters; the step graph is the block of the zoo's s4d-ecg step graph.
  LayerNorm exports as ONNX `LayerNormalization` at opset 17.
- CCfC step: the zoo's `ccfc/make.py` ConvLSTM2D one-step front end and Dense layer, with the CfC
  taking its state `h` as an input instead of the zoo's constant zero state; {ccfc_params}
  trainable parameters. The ConvLSTM's forget gate and recurrent kernel multiply its zero initial
  state and are not materialised (48 = 3 × 16 live gate channels).
- `fir64_depthwise.onnx` is the one edited export: PyTorch cannot put asymmetric padding inside a
  Conv, so the exported valid convolution gets ONNX pads [63, 0] and input length 256.

## Checks (make.py fails if any does not hold)
- every file: onnxruntime vs PyTorch, max |err| ≤ 1e-4; the `.check.npz` beside each file holds
  that run (inputs by graph input name, PyTorch's outputs by output name), which the Rust test
  `cargo test -p ecgc --test zoo_models` replays through tract;
- `cfc_ncp_step.onnx` run 8 times by onnxruntime equals `cfc_ncp_unrolled8.onnx` run once (≤ 1e-5);
- the S4D layer's step form over 40 steps equals the block's FFT convolution form (≤ 1e-4).
"""
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    main()
