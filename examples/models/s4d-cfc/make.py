"""s4d-cfc: the hybrid S4D-CfC ("242 kB"): Linear(1→128) → 1 S4D block (N=64) → mean over time →
CfC(AutoNCP(20, 6)) one step from zero state → sigmoid, on 1-lead SYNTHETIC 6-class rhythm windows.

Regenerate bit-for-bit with ``bash examples/models/make.sh s4d-cfc``. Writes model.onnx (whole window,
S4D kernel materialised as a causal depthwise Conv1d), model_s4d_step.onnx (streaming S4D block
step with state) + model_head.onnx (pooled features → CfC step → probabilities), their .check.npz,
validation.npz, calibration.npz and README.md.

``s4d-cfc-tiny/make.py`` runs :func:`build` of this file with its own configuration.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import ncp  # noqa: E402
from common import s4d  # noqa: E402
from common import synthetic as syn  # noqa: E402
from common import zoo_ncp  # noqa: E402

CONFIG = dict(
    name="s4d-cfc", title="S4D-CfC (\"242 kB\" hybrid)", seed=2420,
    fs=100, seconds=5.0, h=128, n=64,
    n_train=220, n_test=30, n_cal=128,  # records per class; calibration windows
    epochs=25, batch=30, lr=1e-2, ssm_lr=1e-3,
    logit_scale=4.0,  # training-only temperature on the CfC's bounded motor outputs
    crop=250,  # train on random 2.5 s crops of the 5 s windows; evaluate on whole windows
    paper="(B, 4096, 1) lead II at 400 Hz, H = 128, N = 64: 55,732 parameters",
)


def build(here, cfg):
    name, seed, fs, seconds, h, n = (cfg[k] for k in ("name", "seed", "fs", "seconds", "h", "n"))
    length = int(round(fs * seconds))
    ec.setup_determinism(seed)

    def windows(n_per_class, s):
        x, y = syn.dataset(n_per_class, s, fs, seconds, 1)
        return np.ascontiguousarray(x.transpose(0, 2, 1)), y  # [N, L, 1] lead II

    x_tr, y_tr = windows(cfg["n_train"], seed + 1)
    x_te, y_te = windows(cfg["n_test"], seed + 2)
    print(f"synthetic lead II: train {x_tr.shape}, held-out {x_te.shape}")

    cfc = zoo_ncp.wired_cfc(h)
    head = zoo_ncp.ZeroStateStep(cfc, "cfc")
    net = s4d.S4DNet(1, h, n, 1, head)
    n_params = s4d.param_count(net)
    cfc_counts = ncp.param_counts(cfc)
    print(f"  params {n_params} (CfC {cfc_counts})")
    xt_tr, xt_te = torch.from_numpy(x_tr), torch.from_numpy(x_te)
    opt = s4d.make_optimizer(net, cfg["lr"], cfg["ssm_lr"])
    syn.train_bce(net, xt_tr, y_tr, cfg["epochs"], cfg["batch"], opt, seed, x_val=xt_te, y_val=y_te,
                  loss="ce", crop=cfg["crop"], logit_scale=cfg["logit_scale"])

    probs = nn.Sequential(head, nn.Sigmoid())
    with torch.no_grad():
        pred_te = torch.sigmoid(net(xt_te)).numpy()
        pred_tr = np.concatenate([torch.sigmoid(net(xt_tr[i:i + 100])).numpy()
                                  for i in range(0, len(xt_tr), 100)])
    m_tr, m_te = syn.metrics(y_tr, pred_tr), syn.metrics(y_te, pred_te)
    print(f"  train    {syn.metrics_line(m_tr)}\n  held-out {syn.metrics_line(m_te)}")

    # the export forms in PyTorch over every held-out window
    kern = s4d.KernelForm(net, length, probs).eval()
    step = s4d.StepForm(net, nn.Identity()).eval()  # pooled output = running mean features
    with torch.no_grad():
        pk = torch.cat([kern(xt_te[i:i + 1]) for i in range(len(xt_te))]).numpy()
        _, mean_feat, _ = s4d.run_steps(step, xt_te)
        ps = probs(mean_feat).numpy()
    err_kern = float(np.abs(pk - pred_te).max())
    err_step = float(np.abs(ps - pred_te).max())
    err_sk = float(np.abs(ps - pk).max())
    print(f"  held-out, max |Δp|: kernel form vs FFT training form {err_kern:.2e}, step+head vs FFT "
          f"{err_step:.2e}, step+head vs kernel {err_sk:.2e}")
    assert max(err_kern, err_step, err_sk) <= 1e-4

    w0 = xt_te[:1]
    # (a) model.onnx: the whole window, kernel materialised
    path = os.path.join(here, "model.onnx")
    with torch.no_grad():
        p0 = kern(w0)
    s4d.export_kernel_form(kern, w0, path)
    ec.check_export(path, {"x": w0.numpy()}, {"p": p0.numpy()})

    # (b) model_s4d_step.onnx: one step of Linear(1→H) + S4D block with state and running mean
    probe_t = length // 2
    names = step.state_names()
    out_names = ["y_t", "mean_t"] + [f"{s}_next" for s in names]
    with torch.no_grad():
        _, _, st = s4d.run_steps(step, w0, upto=probe_t)
        u_t = w0[:, probe_t].clone()
        outs = step(u_t, *st)
    path_s = os.path.join(here, "model_s4d_step.onnx")
    ec.export_onnx(step, (u_t, *st), path_s, ["u_t"] + names, out_names)
    ec.check_export(path_s, {"u_t": u_t.numpy(), **{k: v.numpy() for k, v in zip(names, st)}},
                    {k: v.numpy() for k, v in zip(out_names, outs)})

    # (c) model_head.onnx: pooled features → CfC one step from zero state → sigmoid
    path_h = os.path.join(here, "model_head.onnx")
    with torch.no_grad():
        mean0 = mean_feat[:1].clone()
        ph = probs(mean0)
    ec.export_onnx(probs, (mean0,), path_h, ["mean"], ["p"])
    ec.check_export(path_h, {"mean": mean0.numpy()}, {"p": ph.numpy()})

    # streaming in onnxruntime: step graph over whole windows, then the head graph
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    s_step = ort.InferenceSession(path_s, opts, providers=["CPUExecutionProvider"])
    s_head = ort.InferenceSession(path_h, opts, providers=["CPUExecutionProvider"])
    n_ort, err_ort = 6, 0.0
    for i in range(n_ort):
        state = {k: v.numpy() for k, v in zip(names, step.zero_state(1))}
        for t in range(length):
            res = s_step.run(out_names, {"u_t": x_te[i:i + 1, t], **state})
            state = dict(zip(names, res[2:]))
        p_i = s_head.run(["p"], {"mean": res[1]})[0]
        err_ort = max(err_ort, float(np.abs(p_i - pk[i:i + 1]).max()))
    print(f"  model_s4d_step.onnx × {length} steps + model_head.onnx (onnxruntime) vs kernel form, "
          f"{n_ort} windows: max |Δp| {err_ort:.2e}")
    assert err_ort <= 1e-4

    ec.save_npz(os.path.join(here, "validation.npz"), x=x_te, y=y_te, pred=pred_te.astype(np.float32))
    rng = np.random.default_rng(seed)
    cal = np.sort(rng.choice(len(x_tr), size=cfg["n_cal"], replace=False))
    with torch.no_grad():
        _, mean_cal, _ = s4d.run_steps(step, xt_tr[cal])
    ec.save_npz(os.path.join(here, "calibration.npz"), x=x_tr[cal], mean=mean_cal.numpy())

    descs = [ec.describe(p) for p in (path, path_s, path_h)]
    write_card(here, cfg, length, n_params, cfc, cfc_counts, m_tr, m_te, len(y_tr), len(y_te),
               descs, err_kern, err_step, err_sk, err_ort, n_ort, probe_t)


def write_card(here, cfg, length, n_params, cfc, cfc_counts, m_tr, m_te, n_tr, n_te, descs,
               err_kern, err_step, err_sk, err_ort, n_ort, probe_t):
    size = lambda f: os.path.getsize(os.path.join(here, f))  # noqa: E731
    h, n, fs, seconds = cfg["h"], cfg["n"], cfg["fs"], cfg["seconds"]
    rows = "\n".join(
        f"| `{d['file']}` | {d['bytes']} | {d['nodes']} | {ec.ops_line(d)} |" for d in descs)
    layers = cfc.rnn_cell.layer_sizes
    crop_md = "" if cfg["crop"] is None else (
        f", each minibatch a random {cfg['crop']}-sample ({cfg['crop'] / fs:g} s) crop of its windows "
        f"(the S4D weights do not depend on the length; evaluation and exports use whole windows)")
    s4d_params = 2 * h + (h * n + 2 * h * n // 2 + 2 * h) + (2 * h * h + 2 * h) + 2 * h
    card = f"""# {cfg['name']} — {cfg['title']}: S4D block + CfC head on SYNTHETIC 1-lead rhythms

Generated by `make.py`; regenerate bit-for-bit with `bash examples/models/make.sh {cfg['name']}`.

> **Synthetic data.** Trained and evaluated on a numpy beat-template generator
> (`common/synthetic.py`), not on recordings. The accuracy below says the pipeline works; it is
> **not** a clinical accuracy and must never be reported as one.

## Task and data
- 6 classes, one per window: {", ".join(syn.CLASSES)} (sinus rhythm; sinus bradycardia; sinus
  tachycardia; AF-like irregular RR without P waves; long PR (1dAVb-like); wide QRS (BBB-like)).
- **6 sigmoid outputs** (as the paper's graph); the predicted class is their argmax. Training is
  6-way softmax cross-entropy on {cfg['logit_scale']:g} × the CfC's motor outputs (a training-only
  temperature): they are bounded in (−1, 1), and one-vs-rest BCE saturated them all at −1 before
  anything was learnt. So the exported sigmoid
  outputs stay in (0.27, 0.73): read them as scores, not calibrated probabilities.
- Input: lead II at **{fs} Hz**, windows of **{seconds:g} s = {length} samples** (the paper:
  {cfg['paper']}). The lower rate and shorter window keep CPU training under 4 minutes; the S4D
  weights do not depend on the window length (only the materialised kernel in `model.onnx` does).
- {n_tr} training windows ({cfg['n_train']}/class, seed {cfg['seed'] + 1}), {n_te} held-out windows
  ({cfg['n_test']}/class, seed {cfg['seed'] + 2}, drawn independently).

## Architecture
Linear(1→{h}) → S4D(H={h}, N={n}: {n // 2} complex modes per channel, ZOH) → GELU →
Conv1d({h}→{2 * h}, k=1) → GLU → + residual → LayerNorm({h}) → mean over time →
`ncps.torch.CfC({h}, AutoNCP(20, 6))` (ncps 1.0.1, wiring seed {zoo_ncp.WIRING_SEED}; layers
inter/command/motor = {layers}) for **one step from the zero state** (t = 1) → sigmoid.
The k=1 Conv1d is held as the equivalent Linear (same weights).
- Parameters: **{n_params}** trainable float32 (encoder + S4D block {s4d_params}, CfC
  {cfc_counts['trainable']}, of which {cfc_counts['effective']} survive the wiring masks) plus
  {cfc_counts['mask_entries']} frozen mask entries that the export folds into the weights.
- Training: AdamW (lr {cfg['lr']}, SSM parameters lr {cfg['ssm_lr']} without weight decay),
  one-cycle schedule, {cfg['epochs']} epochs, batch {cfg['batch']}, S4D convolution via FFT{crop_md}; seed
  {cfg['seed']}, one thread.

## Float accuracy (SYNTHETIC, argmax of the 6 outputs)
| split | windows | accuracy | macro F1 | macro AUROC |
|---|---|---|---|---|
| train | {n_tr} | {m_tr['accuracy']:.4f} | {m_tr['macro_f1']:.4f} | {m_tr['macro_auroc']:.4f} |
| held-out | {n_te} | {m_te['accuracy']:.4f} | {m_te['macro_f1']:.4f} | {m_te['macro_auroc']:.4f} |

Held-out confusion matrix:

{syn.confusion_md(m_te['confusion'])}

Agreement on all held-out windows (max |Δp|): kernel form vs FFT training form {err_kern:.1e};
step form ({length} steps) + head vs FFT form {err_step:.1e}; step + head vs kernel form {err_sk:.1e};
`model_s4d_step.onnx` × {length} steps + `model_head.onnx` in onnxruntime over {n_ort} windows vs the
kernel form {err_ort:.1e}.

## Exports (opset {descs[0]['opset']}, static shapes, batch 1, `torch.onnx.export` of torch {torch.__version__})
| file | bytes | nodes | ops |
|---|---|---|---|
{rows}

- **`model.onnx` — whole window.** `x` [1,{length},1] → `p` [1,6]. The S4D kernel K [{h},{length}] is
  the weight [{h},1,{length}] (already flipped; a plain initializer, no Unsqueeze) of a depthwise
  `Conv` (group = {h}) after a left `Pad` of {length - 1}: O(L²), valid for exactly {length} samples.
- **`model_s4d_step.onnx` — streaming S4D part.** Inputs `u_t` [1,1] (one sample) and the state
  `xr0`, `xi0` [1,{h},{n // 2}] (real/imaginary parts of the complex S4D state), `sum` [1,{h}] (running
  sum of features), `n` [1,1] (steps so far); outputs `y_t` [1,{h}] (the per-step feature: the
  block's LayerNorm output), `mean_t` [1,{h}] = `sum_next` / `n_next` (the pooled feature so far) and
  the next states `<state>_next` (pairs `s` → `s_next`, all zero-initialised). Per step:
  xr' = ar·xr − ai·xi + u, xi' = ar·xi + ai·xr, y = Σ(2cr·xr' − 2ci·xi') + D·u with
  ar + i·ai = exp(ΔA), cr + i·ci = C·(exp(ΔA) − 1)/A precomputed in float64, stored as float32.
- **`model_head.onnx` — head.** `mean` [1,{h}] (`mean_t` after the window's last sample) → CfC one
  step from the zero state (the zero state is a constant inside the graph) → sigmoid → `p` [1,6].

## Other files
| file | bytes | content |
|---|---|---|
| `model.check.npz` | {size('model.check.npz')} | the first held-out window `x` [1,{length},1] → `p` |
| `model_s4d_step.check.npz` | {size('model_s4d_step.check.npz')} | step {probe_t} of that window: `u_t` and the state PyTorch reached after {probe_t} steps → all outputs |
| `model_head.check.npz` | {size('model_head.check.npz')} | that window's pooled features `mean` [1,{h}] → `p` |
| `validation.npz` | {size('validation.npz')} | held-out `x` [{n_te},{length},1], labels `y` [{n_te}] (class index, order {", ".join(syn.CLASSES)}), PyTorch `pred` [{n_te},6] |
| `calibration.npz` | {size('calibration.npz')} | `x` [{cfg['n_cal']},{length},1]: training windows (for `model.onnx`; run them through the step graph for its states); `mean` [{cfg['n_cal']},{h}]: their pooled features (inputs of `model_head.onnx`) |
"""
    with open(os.path.join(here, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    build(HERE, CONFIG)
