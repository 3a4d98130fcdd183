"""Half-precision exports (issue 8): two trained zoo networks converted with ``model.half()`` and
exported by both of PyTorch's ONNX exporters, float16 weights, inputs and outputs.

* ``ecg_cnn``: the zoo's 1-D CNN beat classifier (``../ecg-cnn``), its **trained** weights read back
  from ``../ecg-cnn/model.onnx``;
* ``s4d_ecg_step``: the S4D-ECG step graph (``../s4d-ecg``, 4 blocks, H=128, N=64), its **trained**
  weights and discretised coefficients read back from ``../s4d-ecg/model.onnx``.

Each is exported twice, static shapes, batch 1:

* ``<arch>.legacy.fp16.onnx``: ``torch.onnx.export(model.half(), ..., dynamo=False)``, opset 17;
* ``<arch>.dynamo.fp16.onnx``: ``torch.onnx.export(model.half(), ..., dynamo=True)``, opset 18.

and the ECG CNN once more in bfloat16, ``ecg_cnn.legacy.bf16.onnx`` (``model.to(torch.bfloat16)``,
legacy exporter, opset 17; onnxruntime has no bfloat16 Conv, so ONNX's reference evaluator checks it).

``<arch>.<exporter>.fp16.check.npz`` holds one run: the inputs, named like the graph inputs, as
float32 arrays whose values are exactly float16 (so a float32 consumer and a float16 one see the same
numbers), and PyTorch's float16 outputs widened to float32. onnxruntime must reproduce PyTorch's
float16 outputs within ``TOLERANCE`` of each output's largest magnitude (both compute in float16, in
different orders).

The S4D input is a real mid-window state: the float32 step form run over the first ``STEPS``
samples of the first held-out window of ``../s4d-ecg/validation.npz``.

Run (PyPI torch + onnxscript + onnx + onnxruntime, the packages of ``../exports/requirements.txt``;
CI never runs it):
    python examples/models/fp16/make_fp16.py
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
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import s4d  # noqa: E402

SEED = 1616
LEGACY_OPSET = 17
DYNAMO_OPSET = 18
STEPS = 250
# onnxruntime (float16 kernels) vs PyTorch CPU float16: two float16 computations in different
# orders. Compared per output relative to the output's largest magnitude, max|ort - torch| /
# max(1, max|torch|) ≤ 2^-8 (4 float16 ulps at the top of the range; the S4D states reach |x| ≈ 540,
# where one float16 ulp is 0.5, and their small elements come from sums of large terms).
TOLERANCE = 2.0 ** -8
# bfloat16 has 8 significant bits (float16 11): the same 4 ulps at the top of the range.
TOLERANCE_BF16 = 2.0 ** -5


def load_make(name: str):
    """Imports examples/models/<name>/make.py as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location(f"make_{name.replace('-', '_')}",
                                                  os.path.join(MODELS, name, "make.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_onnx_weights(module: nn.Module, path: str) -> None:
    """Every initializer of the float32 zoo export ``path`` loaded into ``module`` by name; every
    one must land (the zoo's exports keep PyTorch's parameter and buffer names)."""
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
             for i in onnx.load(path).graph.initializer}
    state = module.state_dict()
    missing = [n for n in inits if n not in state]
    assert not missing, f"{path}: initializers with no parameter: {missing}"
    for n, t in inits.items():
        assert state[n].shape == t.shape, (n, state[n].shape, t.shape)
        state[n] = t
    module.load_state_dict(state)


def ecg_cnn():
    """Trained ECG CNN and one real held-out beat."""
    m = load_make("ecg-cnn").EcgCnn()
    load_onnx_weights(m, os.path.join(MODELS, "ecg-cnn", "model.onnx"))
    x = np.load(os.path.join(MODELS, "ecg-cnn", "validation.npz"))["x"][:1]
    return m, ["x"], ["y"], (torch.from_numpy(x),)


def s4d_ecg_step():
    """Trained S4D-ECG step form and a real mid-window state."""
    make = load_make("s4d-ecg")
    net = s4d.S4DNet(make.LEADS, make.H, make.N, make.LAYERS, nn.Linear(make.H, make.syn.N_CLASSES))
    step = s4d.StepForm(net, nn.Sequential(net.head, nn.Sigmoid()))
    load_onnx_weights(step, os.path.join(MODELS, "s4d-ecg", "model.onnx"))
    step.eval()
    x = torch.from_numpy(np.load(os.path.join(MODELS, "s4d-ecg", "validation.npz"))["x"][:1])
    _, _, st = s4d.run_steps(step, x, STEPS)
    names = step.state_names()
    return step, ["u_t"] + names, ["y_t", "p_t"] + [f"{s}_next" for s in names], (x[:, STEPS], *st)


ARCHS = {"ecg_cnn": ecg_cnn, "s4d_ecg_step": s4d_ecg_step}


def export(module, args, path, in_names, out_names, exporter):
    if exporter == "legacy":
        torch.onnx.export(module, args, path, input_names=in_names, output_names=out_names,
                          opset_version=LEGACY_OPSET, do_constant_folding=True, dynamo=False)
    else:
        prog = torch.onnx.export(module, args, input_names=in_names, output_names=out_names,
                                 opset_version=DYNAMO_OPSET, dynamo=True, external_data=False,
                                 optimize=True, verify=False)
        prog.save(path, external_data=False)


def check(path, in_names, out_names, module, args, bf16=False):
    """float16 (bfloat16) graph I/O, onnxruntime (ONNX's reference evaluator) vs PyTorch, both in
    the half type; writes the .check.npz."""
    import onnxruntime as ort

    model = onnx.load(path)
    onnx.checker.check_model(model)
    ec.assert_static(model)
    f16 = onnx.TensorProto.BFLOAT16 if bf16 else onnx.TensorProto.FLOAT16
    inits = {i.name for i in model.graph.initializer}
    ins = [i for i in model.graph.input if i.name not in inits]
    assert [i.name for i in ins] == in_names, (path, [i.name for i in ins])
    assert [o.name for o in model.graph.output] == out_names, path
    for v in ins + list(model.graph.output):
        assert v.type.tensor_type.elem_type == f16, (path, v.name, v.type.tensor_type.elem_type)
    assert any(i.data_type == f16 for i in model.graph.initializer), f"{path}: no float16 initializer"
    with torch.no_grad():
        want = module(*args)
    want = want if isinstance(want, tuple) else (want,)
    if bf16:
        import ml_dtypes
        from onnx.reference import ReferenceEvaluator

        feeds = {n: a.float().numpy().astype(ml_dtypes.bfloat16) for n, a in zip(in_names, args)}
        got = ReferenceEvaluator(model).run(out_names, feeds)
    else:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        feeds = {n: a.numpy() for n, a in zip(in_names, args)}
        got = sess.run(out_names, feeds)
    err = max(float(np.abs(g.astype(np.float32) - w.float().numpy()).max()) / max(1.0, float(w.float().abs().max()))
              for g, w in zip(got, want))
    if not err <= (TOLERANCE_BF16 if bf16 else TOLERANCE):
        raise SystemExit(f"FAIL {path}: onnxruntime vs PyTorch (float16) scaled max |err| = {err:.3g}")
    arrays = {n: a.astype(np.float32) for n, a in feeds.items()}
    arrays.update({n: w.float().numpy() for n, w in zip(out_names, want)})
    ec.save_npz(path[: -len(".onnx")] + ".check.npz", **arrays)
    return err


# (arch, exporter, half type)
VARIANTS = [(a, e, "fp16") for a in ARCHS for e in ("legacy", "dynamo")] + [("ecg_cnn", "legacy", "bf16")]


def main(names):
    ec.setup_determinism(SEED)
    warnings.filterwarnings("ignore")
    for name, exporter, kind in VARIANTS:
        if names and name not in names:
            continue
        torch.manual_seed(SEED)
        module, ins, outs, args = ARCHS[name]()
        dtype = torch.bfloat16 if kind == "bf16" else torch.float16
        module = module.eval().to(dtype)  # model.half() for float16
        args = tuple(a.to(dtype) for a in args)
        path = os.path.join(HERE, f"{name}.{exporter}.{kind}.onnx")
        with torch.no_grad():
            export(module, args, path, ins, outs, exporter)
        err = check(path, ins, outs, module, args, bf16=kind == "bf16")
        d = ec.describe(path)
        print(f"{name:14s} {exporter:6s} {kind} opset {d['opset']:2d} nodes {d['nodes']:4d} {d['bytes']:8d} B  "
              f"{'onnx reference' if kind == 'bf16' else 'ort'} vs torch {err:.1e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
