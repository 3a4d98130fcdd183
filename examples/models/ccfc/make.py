"""ccfc: CCfC — ConvLSTM2D (one step, zero state) on 12-lead STFT magnitudes → Dense(75, relu) →
CfC(AutoNCP(20, 6)) one step from zero state → sigmoid, on SYNTHETIC 6-class rhythm windows.

Regenerate bit-for-bit with ``bash examples/models/make.sh ccfc``. Writes model.onnx, model.check.npz,
validation.npz, calibration.npz and README.md.

``cltc/make.py`` runs :func:`build` of this file with an LTC head instead of the CfC.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import export_check as ec  # noqa: E402
from common import stft  # noqa: E402
from common import synthetic as syn  # noqa: E402
from common import zoo_ncp  # noqa: E402

FS, LEADS, FRAMES = 500, 12, 33
SAMPLES = stft.samples_for_frames(FRAMES)  # 4352 samples = 8.704 s at 500 Hz
FILTERS, KERNEL, STRIDE, DENSE = 16, (12, 3), (1, 2), 75

CONFIG = dict(
    name="ccfc", title="CCfC", kind="cfc", seed=3300,
    data_seed=3300,  # ccfc and cltc train and test on the same windows
    n_train=250, n_test=50, n_val_saved=3, n_cal=16,  # records per class; calibration windows (12-lead STFT windows are 204 kB each: kept few)
    epochs=40, batch=32, lr=2e-3,
    loss="ce", logit_scale=4.0,  # training-only temperature on the CfC's bounded motor outputs
)


def hard_sigmoid(x):
    """Keras (2.x) hard_sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


class ConvLstm2dOneStep(nn.Module):
    """Keras ConvLSTM2D(16, kernel (12, 3), strides (1, 2), padding "valid", activation relu,
    recurrent_activation hard_sigmoid) for ONE time step from the zero state (h0 = c0 = 0):
    i = hs(Wi*x + bi), g = relu(Wc*x + bc), o = hs(Wo*x + bo), c = i ⊙ g, h = o ⊙ relu(c).
    The forget gate (it multiplies c0 = 0) and the recurrent kernel (it convolves h0 = 0) cannot
    change the output, so they are not materialised; the three live gates are one Conv2d with
    3 × 16 output channels. Input [B, bins, leads, frames] (frequency bins as channels)."""

    def __init__(self, bins=stft.BINS, filters=FILTERS, kernel=KERNEL, stride=STRIDE):
        super().__init__()
        self.filters = filters
        self.conv = nn.Conv2d(bins, 3 * filters, kernel, stride)

    def forward(self, x):
        i, g, o = torch.split(self.conv(x), self.filters, dim=1)
        c = hard_sigmoid(i) * torch.relu(g)
        return hard_sigmoid(o) * torch.relu(c)


class CcfcNet(nn.Module):
    """x [B, 1, leads, frames, 129] → ConvLSTM2D one step → flatten → Dense(75, relu) → head."""

    def __init__(self, head: nn.Module):
        super().__init__()
        self.convlstm = ConvLstm2dOneStep()
        out_w = (FRAMES - KERNEL[1]) // STRIDE[1] + 1
        self.flat = FILTERS * (LEADS - KERNEL[0] + 1) * out_w  # 16 * 1 * 16 = 256
        self.dense = nn.Linear(self.flat, DENSE)
        self.head = head

    def forward(self, x):
        z = x.reshape(x.shape[0], LEADS, FRAMES, stft.BINS).permute(0, 3, 1, 2)
        h = self.convlstm(z).reshape(x.shape[0], self.flat)
        return self.head(torch.relu(self.dense(h)))


def features(n_per_class, seed):
    """STFT inputs [N, 1, 12, 33, 129] float32 and labels."""
    sig, y = syn.dataset(n_per_class, seed, FS, SAMPLES / FS, LEADS)
    return stft.stft_logmag(sig)[:, None], y


def build(here, cfg):
    seed, kind, dseed = cfg["seed"], cfg["kind"], cfg["data_seed"]
    ec.setup_determinism(seed)
    x_tr, y_tr = features(cfg["n_train"], dseed + 1)
    x_te, y_te = features(cfg["n_test"], dseed + 2)
    print(f"synthetic 12-lead STFT: train {x_tr.shape}, held-out {x_te.shape}")

    rnn = zoo_ncp.wired_cfc(DENSE) if kind == "cfc" else zoo_ncp.wired_ltc(DENSE)
    head = zoo_ncp.ZeroStateStep(rnn, kind)
    net = CcfcNet(head)
    counts = zoo_ncp.param_counts(net)
    rnn_counts = zoo_ncp.param_counts(rnn)
    print(f"  params {counts} ({kind} {rnn_counts})")
    xt_tr, xt_te = torch.from_numpy(x_tr), torch.from_numpy(x_te)
    head_ids = {id(p) for p in head.parameters()}
    opt = torch.optim.AdamW([
        {"params": [p for p in net.parameters() if p.requires_grad and id(p) not in head_ids],
         "lr": cfg["lr"]},
        {"params": [p for p in head.parameters() if p.requires_grad],
         "lr": cfg.get("head_lr") or cfg["lr"]},
    ], weight_decay=1e-4)
    syn.train_bce(net, xt_tr, y_tr, cfg["epochs"], cfg["batch"], opt, seed, x_val=xt_te,
                  y_val=y_te, loss=cfg["loss"], logit_scale=cfg["logit_scale"])

    probs = nn.Sequential(net, nn.Sigmoid()).eval()
    with torch.no_grad():
        pred_te = probs(xt_te).numpy()
        pred_tr = np.concatenate([probs(xt_tr[i:i + 100]).numpy() for i in range(0, len(xt_tr), 100)])
    m_tr, m_te = syn.metrics(y_tr, pred_tr), syn.metrics(y_te, pred_te)
    print(f"  train    {syn.metrics_line(m_tr)}\n  held-out {syn.metrics_line(m_te)}")

    path = os.path.join(here, "model.onnx")
    x0 = xt_te[:1].clone()
    with torch.no_grad():
        p0 = probs(x0)
    ec.export_onnx(probs, (x0,), path, ["x"], ["p"])
    ec.check_export(path, {"x": x0.numpy()}, {"p": p0.numpy()})

    # the export in onnxruntime on every held-out window
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    p_ort = np.concatenate([sess.run(["p"], {"x": x_te[i:i + 1]})[0] for i in range(len(x_te))])
    err_ort = float(np.abs(p_ort - pred_te).max())
    print(f"  model.onnx (onnxruntime) on {len(x_te)} held-out windows: max |Δp| {err_ort:.2e}")
    assert err_ort <= 1e-4

    # validation.npz keeps the first n_val_saved windows per class of the held-out set (the set is
    # interleaved by class, so that is a prefix): 12-lead STFT inputs are 204 kB each
    keep = cfg["n_val_saved"] * syn.N_CLASSES
    m_saved = syn.metrics(y_te[:keep], pred_te[:keep])
    ec.save_npz(os.path.join(here, "validation.npz"), x=x_te[:keep], y=y_te[:keep],
                pred=pred_te[:keep].astype(np.float32))
    rng = np.random.default_rng(dseed)
    cal = np.sort(rng.choice(len(x_tr), size=cfg["n_cal"], replace=False))
    ec.save_npz(os.path.join(here, "calibration.npz"), x=x_tr[cal])

    write_card(here, cfg, net, rnn, counts, rnn_counts, m_tr, m_te, m_saved, keep, len(y_tr),
               len(y_te), ec.describe(path), err_ort)


def write_card(here, cfg, net, rnn, counts, rnn_counts, m_tr, m_te, m_saved, keep, n_tr, n_te,
               desc, err_ort):
    size = lambda f: os.path.getsize(os.path.join(here, f))  # noqa: E731
    label = {"cfc": "CfC", "ltc": "LTC"}[cfg["kind"]]
    conv_p = sum(p.numel() for p in net.convlstm.parameters())
    dense_p = sum(p.numel() for p in net.dense.parameters())
    keras_conv = conv_p + conv_p // 3 + 4 * FILTERS * FILTERS * KERNEL[0] * KERNEL[1]
    if cfg["kind"] == "cfc":
        head_md = f"""`ncps.torch.CfC(75, AutoNCP(20, 6))` (ncps 1.0.1, wiring seed {zoo_ncp.WIRING_SEED}, mode
"default"; layers inter/command/motor = {rnn.rnn_cell.layer_sizes}) for **one step from the zero
state** (t = 1): per layer x = [input; 0], f1 = tanh(W1 x + b1), f2 = tanh(W2 x + b2) (masked),
τ = σ(Wa x + ba + Wb x + bb), h = f1 (1 − τ) + τ f2; the 6 motor neurons → sigmoid."""
        loss_md = f"""Training is 6-way softmax cross-entropy on {cfg['logit_scale']:g} × the motor
  outputs (a training-only temperature): the motor neurons are bounded in (−1, 1), and one-vs-rest
  BCE saturated them all at −1 before anything was learnt. So the exported sigmoid outputs stay in
  (0.27, 0.73): read them as scores, not calibrated probabilities."""
    else:
        head_md = f"""`ncps.torch.LTC(75, AutoNCP(20, 6))` (ncps 1.0.1, wiring seed {zoo_ncp.WIRING_SEED}, 6 ODE
unfolds, `implicit_param_constraints=True`: softplus keeps w, c_m, g_L positive; affine input and
output mappings) for **one step from the zero state** (elapsed time 1): 6 semi-implicit Euler
unfolds of v ← (c_m·6·v + g_L·v_L + Σ w·σ(σ_ij(v_i − μ_ij))·E + sensory terms) /
(c_m·6 + g_L + Σ w·σ(…) + sensory terms + ε); output_w ⊙ v[motor] + output_b → sigmoid."""
        loss_md = """Training is 6-way softmax cross-entropy on the LTC outputs (one-vs-rest
  BCE collapsed to a constant prediction here); the exported graph ends in a sigmoid."""
    card = f"""# {cfg['name']} — {cfg['title']} (ConvLSTM2D one step + {label} head) on SYNTHETIC 12-lead STFT

Generated by `make.py`; regenerate bit-for-bit with `bash examples/models/make.sh {cfg['name']}`.

> **Synthetic data.** Trained and evaluated on a numpy beat-template generator
> (`common/synthetic.py`), not on recordings. The accuracy below says the pipeline works; it is
> **not** a clinical accuracy and must never be reported as one.

## Task and data
- 6 classes, one per window: {", ".join(syn.CLASSES)} (sinus rhythm; sinus bradycardia; sinus
  tachycardia; AF-like irregular RR without P waves; long PR (1dAVb-like); wide QRS (BBB-like)).
- **6 sigmoid outputs**; the predicted class is their argmax. {loss_md}
- Signals: 12 leads (I, II, III, aVR, aVL, aVF, V1–V6) at **{FS} Hz**, {SAMPLES} samples
  ({SAMPLES / FS:g} s). Input features (`common/stft.py`, numpy, outside the graph): STFT with a
  periodic Hann window of 256, hop 128, no padding → **{FRAMES} frames × 129 bins** per lead, as
  log(1 + |STFT|). Graph input `x` [1, 1, 12, {FRAMES}, 129] = (batch, time step, leads, frames, bins),
  the published CCfC/CLTC input shape (its paper: 500 Hz, 129 bins × 33 frames).
- {n_tr} training windows ({cfg['n_train']}/class, seed {cfg['data_seed'] + 1}); {n_te} held-out windows
  ({cfg['n_test']}/class, seed {cfg['data_seed'] + 2}, drawn independently). `ccfc` and `cltc` use the
  same windows (and the same calibration set).

## Architecture
x → reshape [1, 12, {FRAMES}, 129] → transpose to [1, 129, 12, {FRAMES}] (bins as channels) →
**ConvLSTM2D(16 filters, kernel (12, 3), strides (1, 2), valid, relu), one time step from the zero
state**: one Conv2d(129 → 48 = 3 live gates × 16, kernel (12, 3), stride (1, 2)) → split i, g, o →
c = hard_sigmoid(i) ⊙ relu(g), h = hard_sigmoid(o) ⊙ relu(c) with Keras' hard_sigmoid
clip(0.2x + 0.5, 0, 1) → [1, 16, 1, 16] → flatten 256 → Dense(256 → 75, relu) → {head_md}

The ConvLSTM's forget gate multiplies c0 = 0 and its recurrent kernel convolves h0 = 0: with one
step from the zero state neither can change the output, so they are not part of this model
(MODELS.md: "its recurrent kernel and forget gate are dead weights"). The flatten order is
PyTorch's channels-first (Keras flattens channels-last; only the Dense rows are permuted).
- Parameters: **{counts['trainable']}** trainable float32 (ConvLSTM live gates {conv_p}, Dense
  {dense_p}, {label} {rnn_counts['trainable']}) plus {counts['mask_entries']} frozen wiring-mask
  entries. A Keras ConvLSTM2D with the dead forget gate and recurrent kernel would hold {keras_conv}
  instead of {conv_p}.
- Training: AdamW (lr {cfg['lr']}, {label} head lr {cfg.get('head_lr') or cfg['lr']}, weight decay 1e-4), one-cycle schedule, {cfg['epochs']} epochs,
  batch {cfg['batch']}; seed {cfg['seed']}, one thread.

## Float accuracy (SYNTHETIC, argmax of the 6 outputs)
| split | windows | accuracy | macro F1 | macro AUROC |
|---|---|---|---|---|
| train | {n_tr} | {m_tr['accuracy']:.4f} | {m_tr['macro_f1']:.4f} | {m_tr['macro_auroc']:.4f} |
| held-out | {n_te} | {m_te['accuracy']:.4f} | {m_te['macro_f1']:.4f} | {m_te['macro_auroc']:.4f} |
| held-out, the {keep} in `validation.npz` | {keep} | {m_saved['accuracy']:.4f} | {m_saved['macro_f1']:.4f} | {m_saved['macro_auroc']:.4f} |

Held-out confusion matrix ({n_te} windows):

{syn.confusion_md(m_te['confusion'])}

`model.onnx` in onnxruntime on all {n_te} held-out windows vs PyTorch: max |Δp| = {err_ort:.1e}.

## Export (opset {desc['opset']}, static shapes, batch 1, `torch.onnx.export` of torch {torch.__version__})
| file | bytes | nodes | inputs | outputs | ops |
|---|---|---|---|---|---|
| `{desc['file']}` | {desc['bytes']} | {desc['nodes']} | {ec.io_line(desc['inputs'])} | {ec.io_line(desc['outputs'])} | {ec.ops_line(desc)} |

The whole model is one feed-forward graph: the recurrent cells run a single step and the zero
states are constants in the graph, not inputs.

## Other files
| file | bytes | content |
|---|---|---|
| `model.check.npz` | {size('model.check.npz')} | the first held-out window `x` [1,1,12,{FRAMES},129] → `p` [1,6] |
| `validation.npz` | {size('validation.npz')} | the first {keep} held-out windows ({cfg['n_val_saved']} per class; all {n_te} would be {n_te * LEADS * FRAMES * 129 * 4 // 1000000} MB): `x` [{keep},1,12,{FRAMES},129], labels `y` [{keep}] (class index, order {", ".join(syn.CLASSES)}), PyTorch `pred` [{keep},6] |
| `calibration.npz` | {size('calibration.npz')} | `x` [{cfg['n_cal']},1,12,{FRAMES},129]: training windows |
"""
    with open(os.path.join(here, "README.md"), "w") as f:
        f.write(card)


if __name__ == "__main__":
    build(HERE, CONFIG)
