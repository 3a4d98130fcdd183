"""Neural Circuit Policy (NCP) CfC helpers on top of ``ncps.torch`` (ncps 1.0.1).

The wired CfC cell (ncps.torch ``WiredCfCCell``, mode "default", time span t = 1) stacks the
wiring's layers (inter → command → motor for ``AutoNCP``); layer l sees x = [its input; its own
state] and computes

    f1 = tanh(W1·x + b1)   f2 = tanh(W2·x + b2)   (W1, W2 masked by the wiring's sparsity)
    τ  = σ(Wa·x·t + Wb·x + ba + bb)                (time_a / time_b are not masked)
    h' = f1 ⊙ (1 − τ) + τ ⊙ f2

The state is the concatenation of all layers' h (``wiring.units`` numbers); the cell's output is
the motor layer's h. The masks are frozen parameters (``requires_grad=False``); ONNX export with
constant folding multiplies them into the weights, so the graph has plain Gemm/MatMul weights with
structural zeros.

Export forms provided here:
* :class:`CfcStep`     one step with explicit state: (x_t [1,F], h [1,U]) → (y_t, h_next);
* :class:`CfcUnrolled` a Python loop over T steps, traced (the legacy export: ≈54 nodes per step);
* :func:`scan_from_step` wraps an exported step graph into an ONNX ``Scan`` over a whole window
  (torch 1.13's exporter cannot emit Scan: tracing unrolls, scripting gives ``Loop``).
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn


def wired_cfc(input_size: int, units: int, motors: int, seed: int = 22222):
    """``ncps.torch.CfC`` over ``AutoNCP(units, motors)`` (batch first, full output sequence)."""
    from ncps.torch import CfC
    from ncps.wirings import AutoNCP

    wiring = AutoNCP(units, motors, seed=seed)
    return CfC(input_size, wiring, batch_first=True, return_sequences=True)


def param_counts(module: nn.Module) -> dict[str, int]:
    """Trainable parameters, frozen mask entries, and weights that survive the masks."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    masks = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    masked_out = 0
    for m in module.modules():
        mask = getattr(m, "sparsity_mask", None)
        if mask is not None:
            zeros = int((mask == 0).sum())
            masked_out += 2 * zeros  # ff1 and ff2 share the mask
    return {"trainable": trainable, "mask_entries": masks, "effective": trainable - masked_out}


class CfcStep(nn.Module):
    """One CfC step with explicit state: ``(x_t [B,F], h [B,U]) → (head(motor), h_next)``."""

    def __init__(self, cfc, head: nn.Module | None = None):
        super().__init__()
        self.cell = cfc.rnn_cell
        self.fc = cfc.fc
        self.head = head if head is not None else nn.Identity()

    def forward(self, x_t, h):
        motor, h_next = self.cell(x_t, h, 1.0)
        return self.head(self.fc(motor)), h_next


class CfcUnrolled(nn.Module):
    """T steps of :class:`CfcStep` in a Python loop: ``(x [B,T,F], h [B,U]) → (y [B,T,·], h_T)``.
    Tracing unrolls the loop into T copies of the step graph."""

    def __init__(self, step: CfcStep, steps: int):
        super().__init__()
        self.step = step
        self.steps = steps

    def forward(self, x, h):
        ys = []
        for t in range(self.steps):
            y, h = self.step(x[:, t], h)
            ys.append(y)
        return torch.stack(ys, dim=1), h


def run_steps(step: CfcStep, x: torch.Tensor, h0: torch.Tensor | None = None):
    """Run ``step`` over x [B,T,F] from h0 (zeros by default); returns (y [B,T,·], h_T)."""
    if h0 is None:
        h0 = torch.zeros(x.shape[0], step.cell.state_size)
    return CfcUnrolled(step, x.shape[1])(x, h0)


def scan_from_step(step_model, steps: int, x_name: str = "x_t", h_name: str = "h",
                   y_name: str = "y_t", h_next_name: str = "h_next", outer_x: str = "x",
                   outer_y: str = "y"):
    """Wrap a single-step ONNX model ``(x_t [B,F], h [B,U]) → (y_t [B,K], h_next [B,U])`` into a
    whole-window model ``(x [B,steps,F], h [B,U]) → (y [B,steps,K], h_next [B,U])`` built around
    one ONNX ``Scan`` node (opset ≥ 9 semantics; scan axis 1 for input and output).

    The step graph becomes the Scan body unchanged except that every name in it gets a ``step/``
    prefix (ONNX forbids a subgraph from reusing outer names) and its inputs/outputs are reordered
    to Scan's convention (state first, then scanned)."""
    import onnx
    from onnx import helper

    body = copy.deepcopy(step_model.graph)
    inits = {i.name for i in body.initializer}
    names = set(inits)
    for v in list(body.input) + list(body.output):
        names.add(v.name)
    for n in body.node:
        names.update(i for i in n.input if i)
        names.update(o for o in n.output if o)
    ren = {n: "step/" + n for n in names}
    for n in body.node:
        n.input[:] = [ren[i] if i else i for i in n.input]
        n.output[:] = [ren[o] for o in n.output]
    for i in body.initializer:
        i.name = ren[i.name]
    for v in list(body.input) + list(body.output) + list(body.value_info):
        v.name = ren.get(v.name, v.name)
    real_inputs = {v.name: v for v in body.input if v.name not in {ren[i] for i in inits}}
    outputs = {v.name: v for v in body.output}
    body_inputs = [real_inputs[ren[h_name]], real_inputs[ren[x_name]]]
    body_outputs = [outputs[ren[h_next_name]], outputs[ren[y_name]]]
    del body.input[:]
    body.input.extend(body_inputs)
    del body.output[:]
    body.output.extend(body_outputs)
    body.name = "cfc_step"

    def dims(v):
        return [d.dim_value for d in v.type.tensor_type.shape.dim]

    x_dims, h_dims, y_dims = dims(body_inputs[1]), dims(body_inputs[0]), dims(body_outputs[1])
    scan = helper.make_node(
        "Scan", inputs=[h_name, outer_x], outputs=[h_next_name, outer_y], name="cfc_scan",
        body=body, num_scan_inputs=1, scan_input_axes=[1], scan_output_axes=[1])
    f32 = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        [scan], "cfc_scan",
        inputs=[helper.make_tensor_value_info(outer_x, f32, [x_dims[0], steps] + x_dims[1:]),
                helper.make_tensor_value_info(h_name, f32, h_dims)],
        outputs=[helper.make_tensor_value_info(outer_y, f32, [y_dims[0], steps] + y_dims[1:]),
                 helper.make_tensor_value_info(h_next_name, f32, h_dims)])
    model = helper.make_model(graph, opset_imports=list(step_model.opset_import),
                              producer_name="ecgc-zoo scan_from_step",
                              producer_version=step_model.producer_version)
    model.ir_version = step_model.ir_version
    onnx.checker.check_model(model, full_check=True)
    return model


def sequence_predict_numpy(sess, x: np.ndarray, units: int, x_name="x_t", h_name="h",
                           y_name="y_t", h_next_name="h_next") -> np.ndarray:
    """Run an onnxruntime session of a step graph over x [N,T,F] beat by beat (batch 1, zero
    initial state); returns the last step's output per beat, [N,K]."""
    out = []
    for seq in x:
        h = np.zeros((1, units), np.float32)
        for t in range(seq.shape[0]):
            y, h = sess.run([y_name, h_next_name], {x_name: seq[t : t + 1], h_name: h})
        out.append(y[0])
    return np.stack(out)
