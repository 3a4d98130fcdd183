"""S4D (diagonal state space, zero-order hold) layers and their three export forms.

Parametrisation as in the reference S4D code (state-spaces ``s4d.py``): per channel h and mode n
(N/2 complex modes per channel), A = -exp(logA_re) + i*A_im, dt = exp(log_dt), Ab = exp(dt*A),
Ct = C*(Ab - 1)/A. Initialisation S4D-Lin: logA_re = log 0.5, A_im = pi*n, C ~ CN(0, 1),
log_dt ~ U[log 1e-3, log 1e-1], D ~ N(0, 1).

* training (``S4DBlock.forward``): kernel K_l = 2 Re sum_n Ct_n Ab_n^l, causal convolution by FFT,
  y = K * u + D u;
* kernel form (:class:`KernelForm`): K materialised (float64 → float32) as the weight of a causal
  depthwise ``Conv1d`` (groups = H, kernel L, left padding L-1) over a fixed window of L samples;
* step form (:class:`StepForm`): real-arithmetic recurrence with explicit state per layer,
  xr' = ar*xr - ai*xi + u, xi' = ar*xi + ai*xr, y = sum_n (2cr*xr' - 2ci*xi') + D u
  (ar + i ai = Ab, cr + i ci = Ct, all precomputed in float64 and stored as float32 constants).

A block is S4D → GELU → Conv1d(H→2H, k=1) → GLU → + residual → LayerNorm(H) (post-norm). The
k=1 Conv1d is stored as the equivalent ``nn.Linear(H, 2H)`` (same parameters) because the network
runs channel-last; in ONNX it is a Gemm/MatMul.

Pooling is the mean over time. The step form carries it as two more states, the running sum
``sum`` [1,H] and the step count ``n`` [1,1] (both zero-initialised): after step t its pooled output
is sum_t / t, which after the last step of a window equals the whole-window mean.
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class S4DKernel(nn.Module):
    def __init__(self, h: int, n: int, dt_min: float = 1e-3, dt_max: float = 1e-1):
        super().__init__()
        n2 = n // 2
        self.h, self.n2 = h, n2
        self.log_dt = nn.Parameter(torch.rand(h) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        self.C = nn.Parameter(torch.randn(h, n2, 2) * math.sqrt(0.5))  # (re, im) of CN(0, 1)
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(h, n2)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(n2, dtype=torch.float32).repeat(h, 1))

    def _dta_ct(self, dtype):
        dt = torch.exp(self.log_dt.to(dtype))[:, None]
        a = torch.complex(-torch.exp(self.log_A_real.to(dtype)), self.A_imag.to(dtype))
        c = torch.complex(self.C[..., 0].to(dtype), self.C[..., 1].to(dtype))
        dta = a * dt
        return dta, c * (torch.exp(dta) - 1.0) / a

    def discrete(self, dtype=torch.float64):
        """(Ab, Ct) as complex tensors [H, N/2] computed in ``dtype`` precision."""
        dta, ct = self._dta_ct(dtype)
        return torch.exp(dta), ct

    def forward(self, length: int, dtype=torch.float32) -> torch.Tensor:
        """The convolution kernel K [H, L] = 2 Re sum_n Ct_n exp(l dt A_n)."""
        dta, ct = self._dta_ct(dtype)
        pw = torch.exp(dta[:, :, None] * torch.arange(length, dtype=dtype))
        return 2.0 * torch.einsum("hn,hnl->hl", ct, pw).real


class S4DBlock(nn.Module):
    """S4D(H, N) → GELU → Conv1d(H→2H, k=1) as Linear → GLU → residual → LayerNorm(H)."""

    def __init__(self, h: int, n: int):
        super().__init__()
        self.kernel = S4DKernel(h, n)
        self.D = nn.Parameter(torch.randn(h))
        self.out = nn.Linear(h, 2 * h)
        self.norm = nn.LayerNorm(h)

    def mix(self, y: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Everything after the SSM: y, v channel-last [..., H]."""
        z = F.glu(self.out(F.gelu(y)), dim=-1)
        return self.norm(z + v)

    def forward(self, v: torch.Tensor) -> torch.Tensor:  # v [B, L, H]
        length = v.shape[1]
        k = self.kernel(length)
        u = v.transpose(1, 2)  # [B, H, L]
        kf = torch.fft.rfft(k, n=2 * length)
        uf = torch.fft.rfft(u, n=2 * length)
        y = torch.fft.irfft(uf * kf, n=2 * length)[..., :length] + self.D[:, None] * u
        return self.mix(y.transpose(1, 2), v)


class S4DNet(nn.Module):
    """Linear(d_in→H) → blocks → mean over time → ``head`` (a module on [B, H])."""

    def __init__(self, d_in: int, h: int, n: int, layers: int, head: nn.Module):
        super().__init__()
        self.h, self.n = h, n
        self.encoder = nn.Linear(d_in, h)
        self.blocks = nn.ModuleList(S4DBlock(h, n) for _ in range(layers))
        self.head = head

    def features(self, x: torch.Tensor) -> torch.Tensor:  # x [B, L, d_in] → [B, L, H]
        v = self.encoder(x)
        for b in self.blocks:
            v = b(v)
        return v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(1))


class KernelForm(nn.Module):
    """Whole window [1, L, d_in] → head output, the SSM as a materialised causal depthwise Conv1d
    (weight [H, 1, L] stored directly, already flipped: no Unsqueeze/Flip in the graph)."""

    def __init__(self, net: S4DNet, length: int, head: nn.Module | None = None):
        super().__init__()
        self.length = length
        self.h = net.h
        self.encoder = net.encoder
        self.blocks = net.blocks
        self.head = net.head if head is None else head
        for i, b in enumerate(net.blocks):
            with torch.no_grad():
                k = b.kernel(length, torch.float64).flip(-1)[:, None, :].float().contiguous()
            self.register_buffer(f"k{i}", k)

    def forward(self, x):
        v = self.encoder(x)
        for i, b in enumerate(self.blocks):
            u = v.transpose(1, 2)
            y = F.conv1d(F.pad(u, (self.length - 1, 0)), getattr(self, f"k{i}"), groups=self.h)
            y = y + b.D[:, None] * u
            v = b.mix(y.transpose(1, 2), v)
        return self.head(v.mean(1))


class StepForm(nn.Module):
    """One time step of the whole network with explicit state.

    forward(u_t [B, d_in], xr0, xi0, ..., xr{k-1}, xi{k-1} [B, H, N/2], sum [B, H], n [B, 1])
      → (y_t [B, H] per-step feature (last block's LayerNorm output, before pooling),
         head(sum'/n') (pooled result so far),
         xr0', xi0', ..., sum', n')
    """

    def __init__(self, net: S4DNet, head: nn.Module | None = None):
        super().__init__()
        self.encoder = net.encoder
        self.blocks = net.blocks
        self.head = net.head if head is None else head
        for i, b in enumerate(net.blocks):
            with torch.no_grad():
                ab, ct = b.kernel.discrete(torch.float64)
            self.register_buffer(f"ar{i}", ab.real[None].float().contiguous())
            self.register_buffer(f"ai{i}", ab.imag[None].float().contiguous())
            self.register_buffer(f"cr{i}", (2.0 * ct.real)[None].float().contiguous())
            self.register_buffer(f"ci{i}", (2.0 * ct.imag)[None].float().contiguous())

    def state_names(self) -> list[str]:
        names = []
        for i in range(len(self.blocks)):
            names += [f"xr{i}", f"xi{i}"]
        return names + ["sum", "n"]

    def zero_state(self, batch: int = 1) -> list[torch.Tensor]:
        h, n2 = self.ar0.shape[1], self.ar0.shape[2]
        st = []
        for _ in self.blocks:
            st += [torch.zeros(batch, h, n2), torch.zeros(batch, h, n2)]
        return st + [torch.zeros(batch, h), torch.zeros(batch, 1)]

    def forward(self, u_t, *state):
        v = self.encoder(u_t)
        nxt = []
        for i, b in enumerate(self.blocks):
            xr, xi = state[2 * i], state[2 * i + 1]
            ar, ai = getattr(self, f"ar{i}"), getattr(self, f"ai{i}")
            xr_n = ar * xr - ai * xi + v[:, :, None]
            xi_n = ar * xi + ai * xr
            y = (getattr(self, f"cr{i}") * xr_n - getattr(self, f"ci{i}") * xi_n).sum(-1) + b.D * v
            v = b.mix(y, v)
            nxt += [xr_n, xi_n]
        s_n = state[-2] + v
        n_n = state[-1] + 1.0
        return (v, self.head(s_n / n_n), *nxt, s_n, n_n)


def export_kernel_form(kern: KernelForm, x: torch.Tensor, path: str, input_name: str = "x",
                       output_name: str = "p") -> None:
    """Export :class:`KernelForm` with static shapes.

    torch 1.13 exports ``F.pad`` by computing the ONNX ``pads`` operand at run time
    (ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast) and its constant folding leaves that
    chain in place, so shape inference loses the batch dimension. Here every ``Pad`` gets one
    int64 initializer ``causal_pads`` = [0, 0, L-1, 0, 0, 0] instead, the dead chain is removed,
    shapes are re-inferred and the output shape is set from PyTorch's output."""
    import onnx
    from onnx import helper, numpy_helper

    from . import export_check as ec

    kern.eval()
    with torch.no_grad():
        out = kern(x)
        torch.onnx.export(kern, (x,), path, input_names=[input_name], output_names=[output_name],
                          opset_version=ec.OPSET, do_constant_folding=True, dynamic_axes=None,
                          training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(path)
    g = m.graph
    pads = numpy_helper.from_array(np.array([0, 0, kern.length - 1, 0, 0, 0], np.int64), "causal_pads")
    g.initializer.append(pads)
    for node in g.node:
        if node.op_type == "Pad":
            node.input[1] = "causal_pads"
    # drop nodes whose outputs nobody reads (iterate: chains die from the end)
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    used = {i for n in g.node for i in n.input}
    for init in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(init)
    del g.value_info[:]
    g.output[0].CopyFrom(helper.make_tensor_value_info(output_name, onnx.TensorProto.FLOAT,
                                                       list(out.shape)))
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    ec.assert_static(m)
    size = os.path.getsize(path)
    assert size <= ec.MAX_ONNX_BYTES, f"{path}: {size} bytes > 2 MB"


@torch.no_grad()
def run_steps(step: StepForm, x: torch.Tensor, upto: int | None = None):
    """Run the step form over x [B, L, d_in] from zero state for ``upto`` steps (default L).
    Returns (per-step features [B, T, H], last pooled head output, final state list)."""
    st = step.zero_state(x.shape[0])
    feats, pooled = [], None
    for t in range(x.shape[1] if upto is None else upto):
        out = step(x[:, t], *st)
        feats.append(out[0])
        pooled = out[1]
        st = list(out[2:])
    return torch.stack(feats, 1), pooled, st


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def make_optimizer(net: nn.Module, lr: float, ssm_lr: float, weight_decay: float = 0.01):
    """AdamW as in the S4D example: the SSM parameters (log_dt, A, C... here log_dt, logA_re, A_im)
    get a smaller learning rate and no weight decay."""
    ssm = [p for n, p in net.named_parameters() if p.requires_grad and any(
        k in n for k in ("log_dt", "log_A_real", "A_imag"))]
    ids = {id(p) for p in ssm}
    rest = [p for p in net.parameters() if p.requires_grad and id(p) not in ids]
    return torch.optim.AdamW([{"params": rest, "lr": lr, "weight_decay": weight_decay},
                              {"params": ssm, "lr": ssm_lr, "weight_decay": 0.0}])


def numpy_f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)
