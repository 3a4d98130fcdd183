"""Exports of every zoo architecture through BOTH of PyTorch's ONNX exporters, with a dynamic
(symbolic) batch axis: compile-and-match test material for ecgc's front end (issue 6).

The networks are the zoo's own classes (examples/models/*/make.py and examples/models/common/),
**randomly initialised with a fixed seed, not trained**: these files test that today's exports load,
compile and match tract, not accuracy. Each architecture is exported twice:

* ``<arch>.legacy.onnx``: ``torch.onnx.export(..., dynamo=False, dynamic_axes=...)`` (TorchScript
  tracer), opset 17;
* ``<arch>.dynamo.onnx``: ``torch.onnx.export(..., dynamo=True, dynamic_shapes=...)`` (torch.export
  + onnxscript), opset 18.

Every input and output has a symbolic leading batch axis. The example inputs have batch 2 (torch.export
specialises a dimension whose example size is 0 or 1); ``<arch>.<exporter>.check.npz`` holds
batch-1 inputs (named like the graph inputs) and PyTorch's outputs for them, and onnxruntime must
reproduce those within 1e-4 or the script fails.

Run (needs PyPI torch + onnxscript + onnx + onnxruntime, and ncps 1.0.1; see README.md):
    python examples/models/exports/make_exports.py [ARCH ...]
"""
from __future__ import annotations

import importlib.util
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)
sys.path.insert(0, MODELS)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import ncp  # noqa: E402
from common import s4d  # noqa: E402
from common import zoo_ncp  # noqa: E402

SEED = 6006
LEGACY_OPSET = 17
DYNAMO_OPSET = 18
EXAMPLE_BATCH = 2
TOLERANCE = 1e-4


def load_make(name: str):
    """Imports examples/models/<name>/make.py as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(f"make_{name.replace('-', '_')}",
                                                  os.path.join(MODELS, name, "make.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Softmax(nn.Module):
    def forward(self, z):
        return torch.softmax(z, dim=-1)


def s4d_state(step: s4d.StepForm, batch: int, g: torch.Generator, t: float) -> list[torch.Tensor]:
    """A plausible mid-window state: random xr/xi and running sum, the step count n = t."""
    st = [0.3 * torch.randn(s.shape, generator=g) for s in step.zero_state(batch)]
    st[-1] = torch.full((batch, 1), t)
    return st


# Each builder returns (module, input names, output names, example inputs with batch EXAMPLE_BATCH).
def ecg_cnn(g):
    m = load_make("ecg-cnn").EcgCnn()
    return m, ["x"], ["y"], (torch.randn(EXAMPLE_BATCH, 1, 240, generator=g),)


def cfc_seq_step(g):
    step = ncp.CfcStep(ncp.wired_cfc(1, 20, 2), Softmax())
    x = (torch.randn(EXAMPLE_BATCH, 1, generator=g), 0.5 * torch.randn(EXAMPLE_BATCH, 20, generator=g))
    return step, ["x_t", "h"], ["y_t", "h_next"], x


def s4d_ecg_step(g):
    net = s4d.S4DNet(12, 128, 64, 4, nn.Linear(128, 6))
    step = s4d.StepForm(net, nn.Sequential(net.head, nn.Sigmoid()))
    names = step.state_names()
    x = (torch.randn(EXAMPLE_BATCH, 12, generator=g), *s4d_state(step, EXAMPLE_BATCH, g, 250.0))
    return step, ["u_t"] + names, ["y_t", "p_t"] + [f"{s}_next" for s in names], x


def _s4d_cfc_net(h, n):
    cfc = zoo_ncp.wired_cfc(h)
    head = zoo_ncp.ZeroStateStep(cfc, "cfc")
    return s4d.S4DNet(1, h, n, 1, head), nn.Sequential(head, nn.Sigmoid())


def s4d_cfc(g):
    net, probs = _s4d_cfc_net(128, 64)
    return s4d.KernelForm(net, 500, probs), ["x"], ["p"], (torch.randn(EXAMPLE_BATCH, 500, 1, generator=g),)


def s4d_cfc_head(g):
    _, probs = _s4d_cfc_net(128, 64)
    return probs, ["mean"], ["p"], (torch.randn(EXAMPLE_BATCH, 128, generator=g),)


def s4d_cfc_s4d_step(g):
    net, _ = _s4d_cfc_net(128, 64)
    step = s4d.StepForm(net, nn.Identity())
    names = step.state_names()
    x = (torch.randn(EXAMPLE_BATCH, 1, generator=g), *s4d_state(step, EXAMPLE_BATCH, g, 250.0))
    return step, ["u_t"] + names, ["y_t", "mean_t"] + [f"{s}_next" for s in names], x


def s4d_cfc_tiny(g):
    net, probs = _s4d_cfc_net(32, 32)
    return s4d.KernelForm(net, 250, probs), ["x"], ["p"], (torch.randn(EXAMPLE_BATCH, 250, 1, generator=g),)


def _convlstm_net(kind, g):
    make = load_make("ccfc")
    rnn = zoo_ncp.wired_cfc(make.DENSE) if kind == "cfc" else zoo_ncp.wired_ltc(make.DENSE)
    net = nn.Sequential(make.CcfcNet(zoo_ncp.ZeroStateStep(rnn, kind)), nn.Sigmoid())
    x = torch.randn(EXAMPLE_BATCH, 1, make.LEADS, make.FRAMES, make.stft.BINS, generator=g)
    return net, ["x"], ["p"], (x,)


def ccfc(g):
    return _convlstm_net("cfc", g)


def cltc(g):
    return _convlstm_net("ltc", g)


class LstmStep(nn.Module):
    """One time step of ``nn.LSTM`` (batch first) with its state ``h``, ``c`` in and out, ``[B, H]``
    each, and a sigmoid head: the export a streaming deployment uses."""

    def __init__(self, inputs=12, hidden=32, labels=6):
        super().__init__()
        self.rnn = nn.LSTM(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, labels)

    def forward(self, x_t, h, c):
        y, (h2, c2) = self.rnn(x_t.unsqueeze(1), (h.unsqueeze(0), c.unsqueeze(0)))
        return torch.sigmoid(self.head(y[:, 0])), h2[0], c2[0]


class GruStep(nn.Module):
    """One time step of ``nn.GRU`` (batch first) with its state ``h`` in and out, and a sigmoid head."""

    def __init__(self, inputs=12, hidden=32, labels=6):
        super().__init__()
        self.rnn = nn.GRU(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, labels)

    def forward(self, x_t, h):
        y, h2 = self.rnn(x_t.unsqueeze(1), h.unsqueeze(0))
        return torch.sigmoid(self.head(y[:, 0])), h2[0]


class RnnWindow(nn.Module):
    """``nn.LSTM``/``nn.GRU`` over a whole window from the zero state, mean over time, sigmoid head."""

    def __init__(self, cell, inputs=12, hidden=32, labels=6):
        super().__init__()
        self.rnn = cell(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, labels)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.sigmoid(self.head(y.mean(1)))


RNN_STEPS = 64


def lstm_step(g):
    x = (torch.randn(EXAMPLE_BATCH, 12, generator=g), 0.5 * torch.randn(EXAMPLE_BATCH, 32, generator=g),
         0.5 * torch.randn(EXAMPLE_BATCH, 32, generator=g))
    return LstmStep(), ["x_t", "h", "c"], ["p_t", "h_next", "c_next"], x


def gru_step(g):
    x = (torch.randn(EXAMPLE_BATCH, 12, generator=g), 0.5 * torch.randn(EXAMPLE_BATCH, 32, generator=g))
    return GruStep(), ["x_t", "h"], ["p_t", "h_next"], x


def lstm_window(g):
    return RnnWindow(nn.LSTM), ["x"], ["p"], (torch.randn(EXAMPLE_BATCH, RNN_STEPS, 12, generator=g),)


def gru_window(g):
    return RnnWindow(nn.GRU), ["x"], ["p"], (torch.randn(EXAMPLE_BATCH, RNN_STEPS, 12, generator=g),)


ARCHS = {
    "ecg_cnn": ecg_cnn,
    "cfc_seq_step": cfc_seq_step,
    "s4d_ecg_step": s4d_ecg_step,
    "s4d_cfc": s4d_cfc,
    "s4d_cfc_head": s4d_cfc_head,
    "s4d_cfc_s4d_step": s4d_cfc_s4d_step,
    "s4d_cfc_tiny": s4d_cfc_tiny,
    "ccfc": ccfc,
    "cltc": cltc,
    "lstm_step": lstm_step,
    "gru_step": gru_step,
    "lstm_window": lstm_window,
    "gru_window": gru_window,
}


def export(module, args, path, in_names, out_names, exporter):
    if exporter == "legacy":
        axes = {n: {0: "batch"} for n in in_names + out_names}
        torch.onnx.export(module, args, path, input_names=in_names, output_names=out_names,
                          opset_version=LEGACY_OPSET, do_constant_folding=True, dynamic_axes=axes,
                          dynamo=False)
    else:
        batch = torch.export.Dim("batch", min=1, max=1024)
        shapes = tuple({0: batch} for _ in args)
        if isinstance(module, s4d.StepForm):  # forward(u_t, *state): the varargs are one tuple
            shapes = (shapes[0], shapes[1:])
        prog = torch.onnx.export(module, args, input_names=in_names, output_names=out_names,
                                 opset_version=DYNAMO_OPSET, dynamic_shapes=shapes, dynamo=True,
                                 external_data=False, optimize=True, verify=False)
        prog.save(path, external_data=False)


def check(path, in_names, out_names, module, args):
    """onnxruntime on batch-1 inputs vs PyTorch; writes <path>.check.npz."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    inits = {i.name for i in model.graph.initializer}
    got_in = [i.name for i in model.graph.input if i.name not in inits]
    assert got_in == in_names, (path, got_in, in_names)
    assert [o.name for o in model.graph.output] == out_names, (path, [o.name for o in model.graph.output])
    one = tuple(a[:1].clone() for a in args)
    with torch.no_grad():
        want = module(*one)
    want = want if isinstance(want, tuple) else (want,)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    feeds = {n: a.numpy() for n, a in zip(in_names, one)}
    got = sess.run(out_names, feeds)
    err = max(float(np.abs(gv - wv.numpy()).max()) for gv, wv in zip(got, want))
    if not err <= TOLERANCE:
        raise SystemExit(f"FAIL {path}: onnxruntime vs PyTorch max |err| = {err:.3g}")
    # batch 2 as well: the batch axis really is dynamic
    got2 = sess.run(out_names, {n: a.numpy() for n, a in zip(in_names, args)})
    with torch.no_grad():
        want2 = module(*args)
    want2 = want2 if isinstance(want2, tuple) else (want2,)
    err2 = max(float(np.abs(gv - wv.numpy()).max()) for gv, wv in zip(got2, want2))
    if not err2 <= TOLERANCE:
        raise SystemExit(f"FAIL {path} at batch {EXAMPLE_BATCH}: max |err| = {err2:.3g}")
    arrays = dict(feeds)
    arrays.update({n: w.numpy().astype(np.float32) for n, w in zip(out_names, want)})
    ec.save_npz(path[: -len(".onnx")] + ".check.npz", **arrays)
    return err, err2


def main(names):
    ec.setup_determinism(SEED)
    warnings.filterwarnings("ignore")
    for name in names or list(ARCHS):
        for exporter in ("legacy", "dynamo"):
            torch.manual_seed(SEED)
            g = torch.Generator().manual_seed(SEED)
            module, ins, outs, args = ARCHS[name](g)
            module.eval()
            path = os.path.join(HERE, f"{name}.{exporter}.onnx")
            with torch.no_grad():
                export(module, args, path, ins, outs, exporter)
            err, err2 = check(path, ins, outs, module, args)
            d = ec.describe(path)
            print(f"{name:18s} {exporter:6s} opset {d['opset']:2d} nodes {d['nodes']:4d} "
                  f"{d['bytes']:8d} B  ort vs torch {err:.1e} (batch {EXAMPLE_BATCH}: {err2:.1e})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
