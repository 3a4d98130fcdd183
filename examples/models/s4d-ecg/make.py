"""s4d-ecg: S4D-ECG (4 S4D blocks, H=128, N=64) on 12-lead SYNTHETIC 6-class rhythm windows.

Regenerate bit-for-bit with ``bash examples/models/make.sh s4d-ecg``. Writes model.onnx (single-step
streaming graph of the whole network with explicit per-layer state), model_kernel.onnx (whole
5 s window, each S4D kernel materialised as a causal depthwise Conv1d), their .check.npz,
validation.npz, calibration.npz and README.md.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import s4d  # noqa: E402
from common import synthetic as syn  # noqa: E402

SEED = 4096
FS, SECONDS, LEADS = 100, 5.0, 12
L = int(FS * SECONDS)  # 500 samples
H, N, LAYERS = 128, 64, 4
N_TRAIN, N_TEST, N_CAL = 200, 20, 64  # records per class (train, held-out); calibration windows
EPOCHS, BATCH, LR, SSM_LR = 6, 30, 1e-2, 1e-3
CROP = 250  # training on random 2.5 s crops of the 5 s windows (evaluation on whole windows)
PROBE_T = 250  # the step graph's check input: step 250 of the first held-out window


def windows(n_per_class, seed):
    x, y = syn.dataset(n_per_class, seed, FS, SECONDS, LEADS)
    return np.ascontiguousarray(x.transpose(0, 2, 1)), y  # [N, L, 12]


def main():
    ec.setup_determinism(SEED)
    x_tr, y_tr = windows(N_TRAIN, SEED + 1)
    x_te, y_te = windows(N_TEST, SEED + 2)
    print(f"synthetic: train {x_tr.shape}, held-out {x_te.shape}")

    net = s4d.S4DNet(LEADS, H, N, LAYERS, nn.Linear(H, syn.N_CLASSES))
    n_params = s4d.param_count(net)
    print(f"  params {n_params}")
    xt_tr, xt_te = torch.from_numpy(x_tr), torch.from_numpy(x_te)
    opt = s4d.make_optimizer(net, LR, SSM_LR)
    syn.train_bce(net, xt_tr, y_tr, EPOCHS, BATCH, opt, SEED, x_val=xt_te, y_val=y_te, crop=CROP)

    probs = nn.Sequential(net.head, nn.Sigmoid())
    with torch.no_grad():
        pred_te = torch.sigmoid(net(xt_te)).numpy()
        pred_tr = np.concatenate([torch.sigmoid(net(xt_tr[i:i + 60])).numpy()
                                  for i in range(0, len(xt_tr), 60)])
    m_tr, m_te = syn.metrics(y_tr, pred_tr), syn.metrics(y_te, pred_te)
    print(f"  train    {syn.metrics_line(m_tr)}\n  held-out {syn.metrics_line(m_te)}")

    # the two export forms, in PyTorch, over every held-out window
    step = s4d.StepForm(net, probs).eval()
    kern = s4d.KernelForm(net, L, probs).eval()
    with torch.no_grad():
        feats, pooled_step, _ = s4d.run_steps(step, xt_te)
        pooled_kern = torch.cat([kern(xt_te[i:i + 1]) for i in range(len(xt_te))]).numpy()
    pooled_step = pooled_step.numpy()
    err_step = float(np.abs(pooled_step - pred_te).max())
    err_kern = float(np.abs(pooled_kern - pred_te).max())
    err_sk = float(np.abs(pooled_step - pooled_kern).max())
    print(f"  held-out, max |Δp|: step form vs FFT training form {err_step:.2e}, kernel form vs FFT "
          f"{err_kern:.2e}, step vs kernel {err_sk:.2e}")
    assert max(err_step, err_kern, err_sk) <= 1e-4

    # (a) model.onnx: one step of the whole network with explicit state
    names = step.state_names()
    w0 = xt_te[:1]
    with torch.no_grad():
        _, _, st = s4d.run_steps(step, w0, upto=PROBE_T)
        u_t = w0[:, PROBE_T].clone()
        outs = step(u_t, *st)
    out_names = ["y_t", "p_t"] + [f"{s}_next" for s in names]
    path = os.path.join(HERE, "model.onnx")
    ec.export_onnx(step, (u_t, *st), path, ["u_t"] + names, out_names)
    ec.check_export(path, {"u_t": u_t.numpy(), **{k: v.numpy() for k, v in zip(names, st)}},
                    {k: v.numpy() for k, v in zip(out_names, outs)})

    # the exported step graph, run by onnxruntime over whole held-out windows (500 steps each)
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    n_ort = 6
    err_ort = 0.0
    for i in range(n_ort):
        state = {k: v.numpy() for k, v in zip(names, step.zero_state(1))}
        for t in range(L):
            res = sess.run(out_names, {"u_t": x_te[i:i + 1, t], **state})
            state = dict(zip(names, res[2:]))
        err_ort = max(err_ort, float(np.abs(res[1] - pooled_kern[i:i + 1]).max()))
    print(f"  model.onnx (onnxruntime) × {L} steps vs kernel form, {n_ort} windows: max |Δp| {err_ort:.2e}")
    assert err_ort <= 1e-4

    # (b) model_kernel.onnx: the whole window with materialised kernels
    path_k = os.path.join(HERE, "model_kernel.onnx")
    with torch.no_grad():
        pk = kern(w0)
    s4d.export_kernel_form(kern, w0, path_k)
    ec.check_export(path_k, {"x": w0.numpy()}, {"p": pk.numpy()})

    ec.save_npz(os.path.join(HERE, "validation.npz"), x=x_te, y=y_te, pred=pred_te.astype(np.float32))
    rng = np.random.default_rng(SEED)
    cal = np.sort(rng.choice(len(x_tr), size=N_CAL, replace=False))
    ec.save_npz(os.path.join(HERE, "calibration.npz"), x=x_tr[cal])

    descs = [ec.describe(p) for p in (path, path_k)]
    write_card(n_params, m_tr, m_te, len(y_tr), len(y_te), descs, err_step, err_kern, err_sk,
               err_ort, n_ort)


def write_card(n_params, m_tr, m_te, n_tr, n_te, descs, err_step, err_kern, err_sk, err_ort, n_ort):
    size = lambda f: os.path.getsize(os.path.join(HERE, f))  # noqa: E731
    d_step, d_kern = descs
    rows = "\n".join(
        f"| `{d['file']}` | {d['bytes']} | {d['nodes']} | {ec.ops_line(d)} |" for d in descs)
    card = f"""# s4d-ecg — S4D-ECG (4 × S4D block, H = {H}, N = {N}) on SYNTHETIC 12-lead rhythms

Generated by `make.py`; regenerate bit-for-bit with `bash examples/models/make.sh s4d-ecg`.

> **Synthetic data.** Trained and evaluated on a numpy beat-template generator
> (`common/synthetic.py`), not on recordings. The accuracy below says the pipeline works; it is
> **not** a clinical accuracy and must never be reported as one.

## Task and data
- 6 classes, one per window: {", ".join(syn.CLASSES)} (sinus rhythm; sinus bradycardia; sinus
  tachycardia; AF-like irregular RR without P waves; long PR (1dAVb-like); wide QRS (BBB-like)).
- **6 sigmoid outputs** trained one-vs-rest (BCE against one-hot targets); the predicted class is the
  argmax. (The published model has 8 sigmoid outputs for CPSC 2018 labels.)
- Input: 12 leads at **{FS} Hz**, windows of **{SECONDS:g} s = {L} samples** (the paper: 400/500 Hz,
  4096 samples). The lower rate and shorter window keep CPU training under 4 minutes; S4D weights
  are independent of the window length, only the materialised kernel form depends on it.
- {n_tr} training windows ({N_TRAIN}/class, seed {SEED + 1}), {n_te} held-out windows
  ({N_TEST}/class, seed {SEED + 2}, drawn independently).

## Architecture (as MODELS.md, S4D-ECG)
Linear(12→{H}) → {LAYERS} × [S4D(H={H}, N={N}: {N // 2} complex modes per channel, ZOH) → GELU →
Conv1d({H}→{2 * H}, k=1) → GLU → + residual → LayerNorm({H})] → mean over time →
Linear({H}→6) → sigmoid. S4D parameters per layer: logA_re, A_im [H, N/2], C complex [H, N/2],
log Δ [H], D [H] (`common/s4d.py`). The k=1 Conv1d is held as the equivalent Linear (same weights).
- Parameters: **{n_params}** float32 (the paper's 202,376 has 8 outputs; 6 here).
- Training: AdamW (lr {LR}, SSM parameters lr {SSM_LR} without weight decay), one-cycle schedule,
  {EPOCHS} epochs, batch {BATCH}, convolution form via FFT, each minibatch a random
  {CROP}-sample ({CROP / FS:g} s) crop of its 5 s windows (half the CPU time per epoch; S4D weights
  do not depend on the length); evaluation and exports use whole {L}-sample windows; seed {SEED},
  one thread.

## Float accuracy (SYNTHETIC, argmax of the 6 outputs)
| split | windows | accuracy | macro F1 | macro AUROC |
|---|---|---|---|---|
| train | {n_tr} | {m_tr['accuracy']:.4f} | {m_tr['macro_f1']:.4f} | {m_tr['macro_auroc']:.4f} |
| held-out | {n_te} | {m_te['accuracy']:.4f} | {m_te['macro_f1']:.4f} | {m_te['macro_auroc']:.4f} |

Held-out confusion matrix:

{syn.confusion_md(m_te['confusion'])}

Agreement of the three forms on all held-out windows (max |Δp|): step form (500 steps) vs FFT
training form {err_step:.1e}; kernel form vs FFT form {err_kern:.1e}; step vs kernel {err_sk:.1e};
`model.onnx` run step by step in onnxruntime over {n_ort} whole windows vs the kernel form {err_ort:.1e}.

## Exports (opset {d_step['opset']}, static shapes, batch 1, `torch.onnx.export` of torch {torch.__version__})
| file | bytes | nodes | ops |
|---|---|---|---|
{rows}

- **`model.onnx` — streaming single step of the whole network.** Inputs: `u_t` [1,12] (one sample
  of the 12 leads) and the state: per layer i = 0..3 `xr<i>`, `xi<i>` [1,{H},{N // 2}] (real and
  imaginary parts of the complex S4D state), plus `sum` [1,{H}] (running sum of the per-step
  features) and `n` [1,1] (steps so far). Outputs: `y_t` [1,{H}] the per-step feature (last
  block's LayerNorm output, before pooling), `p_t` [1,6] = sigmoid(Linear(`sum_next` / `n_next`)),
  the pooled class probabilities of the window so far, and every next state `<state>_next`. State
  pairs follow the naming convention `s` → `s_next`; all states start at zero. After the last sample
  of a window, `p_t` is the model's output for that window. The recurrence per layer, in real
  arithmetic: xr' = ar·xr − ai·xi + u, xi' = ar·xi + ai·xr, y = Σ(2cr·xr' − 2ci·xi') + D·u, with
  ar + i·ai = exp(ΔA) and cr + i·ci = C·(exp(ΔA) − 1)/A precomputed in float64 and stored as
  float32 constants.
- **`model_kernel.onnx` — whole window, materialised kernels.** Input `x` [1,{L},12] → `p` [1,6].
  Each S4D layer's kernel K [{H},{L}] is the weight [{H},1,{L}] (already flipped; a plain initializer,
  no Unsqueeze) of a depthwise `Conv` (group = {H}) after a left `Pad` of {L - 1}: O(L²) work, valid
  only for exactly {L} samples.

## Other files
| file | bytes | content |
|---|---|---|
| `model.check.npz` | {size('model.check.npz')} | step {PROBE_T} of the first held-out window: `u_t` and the state PyTorch reached after {PROBE_T} steps → all outputs |
| `model_kernel.check.npz` | {size('model_kernel.check.npz')} | the first held-out window `x` [1,{L},12] → `p` |
| `validation.npz` | {size('validation.npz')} | held-out `x` [{n_te},{L},12], labels `y` [{n_te}] (class index, order {", ".join(syn.CLASSES)}), PyTorch `pred` [{n_te},6] |
| `calibration.npz` | {size('calibration.npz')} | `x` [{N_CAL},{L},12]: training windows. For the step graph, run them sample by sample from the zero state to get representative (`u_t`, state) pairs |
"""
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    main()
