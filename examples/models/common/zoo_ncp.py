"""NCP heads used as *one step from zero state* (S4D-CfC, CCfC, CLTC), on top of ``ncps.torch``
(ncps 1.0.1) and ``common.ncp`` (the wired CfC constructor).

With a single time step and h0 = 0 the recurrent cell is a feed-forward function of its input:

* CfC (``ncps.torch.CfC`` over ``AutoNCP(20, 6)``, mode "default", t = 1): inter → command → motor
  layers, each with x = [input; 0], f1 = tanh(W1 x + b1), f2 = tanh(W2 x + b2) (W masked),
  τ = σ(Wa x + ba + Wb x + bb), h = f1 (1 − τ) + τ f2; the output is the 6 motor neurons.
* LTC (``ncps.torch.LTC`` over ``AutoNCP(20, 6)``, 6 semi-implicit Euler unfolds, softplus
  parameter constraints, affine input and output mappings): v starts at 0 and is unfolded 6 times,
  v ← (cm·6·v + gL·vL + Σ w·σ(σ_ij(v_i − μ_ij))·E + sensory terms) / (cm·6 + gL + Σ w·σ(...) + ε);
  the output is output_w ⊙ v[:6] + output_b.

The zero state is a constant [1, 20] buffer in the graph (not a graph input), so each head exports
as a plain feed-forward graph. The exported graphs add a sigmoid (6 one-vs-rest probabilities).
"""
from __future__ import annotations

import torch
from torch import nn

from . import ncp

UNITS, MOTORS, WIRING_SEED = 20, 6, 22222


def wired_cfc(input_size: int, units: int = UNITS, motors: int = MOTORS):
    return ncp.wired_cfc(input_size, units, motors, seed=WIRING_SEED)


def wired_ltc(input_size: int, units: int = UNITS, motors: int = MOTORS, ode_unfolds: int = 6):
    from ncps.torch import LTC
    from ncps.wirings import AutoNCP

    wiring = AutoNCP(units, motors, seed=WIRING_SEED)
    return LTC(input_size, wiring, return_sequences=False, batch_first=True,
               ode_unfolds=ode_unfolds, implicit_param_constraints=True)


class ZeroStateStep(nn.Module):
    """One step of a wired CfC or LTC cell from h0 = 0: [B, F] → motor outputs (logits) [B, motors].
    Wrap as ``nn.Sequential(step, nn.Sigmoid())`` for the exported probabilities."""

    def __init__(self, rnn, kind: str):
        super().__init__()
        assert kind in ("cfc", "ltc")
        self.kind = kind
        self.cell = rnn.rnn_cell
        self.register_buffer("h0", torch.zeros(1, rnn.rnn_cell.state_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = self.h0 if x.shape[0] == 1 else self.h0.expand(x.shape[0], -1)
        motor, _ = self.cell(x, h0, 1.0)  # CfCCell(x, h, t) and LTCCell(x, v, elapsed) alike
        return motor


def param_counts(module: nn.Module) -> dict[str, int]:
    """Trainable parameters and frozen (mask) entries of any module (CfC masks: common.ncp)."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    return {"trainable": trainable, "mask_entries": frozen}
