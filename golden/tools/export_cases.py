"""Makes golden cases from today's PyTorch exports (run from the repo root with a Python that has
numpy and onnx, e.g. the golden venv of golden/README.md):
    python3 golden/tools/export_cases.py
For each examples/models/exports/<arch>.<exporter>.onnx (made by examples/models/exports/make_exports.py:
the zoo's architectures, random weights, legacy and dynamo exporters, symbolic batch axis) it writes
golden/export_<arch>_<exporter>/ with `model.path` (pointing at the export: one copy of each file),
`input_<k>.npy` (batch 1, from the export's .check.npz, in graph-input order) and `case.toml`.

It also writes golden/export_constant_of_shape_default/ (model.onnx built here): ConstantOfShape
without a `value` attribute, which the ONNX spec defines as float32 zeros, on a symbolic batch.
Deterministic.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

EXPORTS = "examples/models/exports"
ARCHS = {
    "ecg_cnn": "1-D CNN beat classifier (zoo ecg-cnn)",
    "cfc_seq_step": "CfC AutoNCP(20,2) single step with explicit state (zoo cfc-seq)",
    "s4d_ecg_step": "S4D-ECG streaming step graph, 4 blocks H=128 N=64, explicit state (zoo s4d-ecg)",
    "s4d_cfc": "S4D-CfC whole window, materialised S4D kernel (zoo s4d-cfc model.onnx)",
    "s4d_cfc_head": "S4D-CfC head: pooled features -> CfC step from zero state -> sigmoid (zoo s4d-cfc model_head.onnx)",
    "s4d_cfc_s4d_step": "S4D-CfC streaming S4D step with state and running mean (zoo s4d-cfc model_s4d_step.onnx)",
    "s4d_cfc_tiny": "S4D-CfC tiny whole window, H=32 N=32 (zoo s4d-cfc-tiny)",
    "ccfc": "CCfC: ConvLSTM2D one step + Dense + CfC AutoNCP(20,6) (zoo ccfc)",
    "cltc": "CLTC: ConvLSTM2D one step + Dense + LTC AutoNCP(20,6) (zoo cltc)",
    "lstm_step": "nn.LSTM(12, 32) one step with explicit state h, c + sigmoid head (ONNX LSTM, T = 1)",
    "gru_step": "nn.GRU(12, 32) one step with explicit state h + sigmoid head (ONNX GRU, T = 1)",
    "lstm_window": "nn.LSTM(12, 32) over a 64-step window from the zero state, mean over time, sigmoid head (ONNX LSTM, T = 64)",
    "gru_window": "nn.GRU(12, 32) over a 64-step window from the zero state, mean over time, sigmoid head (ONNX GRU, T = 64)",
}
EXPORTERS = {
    "legacy": "torch.onnx.export(dynamo=False, dynamic_axes) opset 17",
    "dynamo": "torch.onnx.export(dynamo=True, dynamic_shapes) opset 18",
}
# Forms that do not fit the STM32F746's 320 KB of RAM are checked with the host target (their code
# is still built for thumbv7em); the reason is stated in the case.
TOO_BIG = {
    "s4d_cfc": "the whole-window form holds [500,128] activations several times (1 MB arena): the streaming form (s4d_cfc_s4d_step + s4d_cfc_head) is the one for the device",
    # RAM counts the input/output buffers the caller holds (as zoo_cases.py's cases do).
    "ccfc": "fits the F746 in f32 (passes/conv_rows.rs reads the 200 KiB input in place: about 210 KiB RAM, up to 1015 KiB flash), but the measurement firmware of a 1 MB model takes a minute to build with fat LTO: zoo_ccfc and zoo_cltc, the same architectures, run on the emulated M7",
    "cltc": "fits the F746 in f32 (passes/conv_rows.rs reads the 200 KiB input in place: about 210 KiB RAM, up to 1015 KiB flash), but the measurement firmware of a 1 MB model takes a minute to build with fat LTO: zoo_ccfc and zoo_cltc, the same architectures, run on the emulated M7",
    "s4d_ecg_step": "the step graph's state goes in and out as 8+8 [1,128,32] tensors (257.6 KiB of caller buffers) beside a 176.5 KiB arena: 434 KiB, over the F746's 320 KiB until state lives inside the model (--state)",
}


def write_case(name, model_rel, inputs, ops, description, target_reason=None):
    out = os.path.join("golden", name)
    os.makedirs(out, exist_ok=True)
    if model_rel is not None:
        with open(os.path.join(out, "model.path"), "w") as f:
            f.write(os.path.relpath(model_rel, out) + "\n")
    for k, a in enumerate(inputs):
        np.save(os.path.join(out, f"input_{k}.npy"), np.ascontiguousarray(a, dtype=np.float32))
    with open(os.path.join(out, "case.toml"), "w") as f:
        f.write(f'description = "{description}"\n')
        f.write("ops = [" + ", ".join(f'"{o}"' for o in ops) + "]\n")
        f.write('made_by = "golden/tools/export_cases.py"\n')
        f.write("tolerance = 1e-05\n")
        if target_reason:
            f.write('target = "host"\n')
            f.write(f'target_reason = "{target_reason}"\n')


def export_cases():
    for arch, what in ARCHS.items():
        for exporter, how in EXPORTERS.items():
            src = os.path.join(EXPORTS, f"{arch}.{exporter}.onnx")
            if not os.path.exists(src):
                print("skipped (no export):", src)
                continue
            m = onnx.load(src)
            g = m.graph
            init = {i.name for i in g.initializer}
            names = [i.name for i in g.input if i.name not in init]
            check = np.load(src[: -len(".onnx")] + ".check.npz")
            ops = sorted({n.op_type for n in g.node})
            opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
            desc = f"{what}, random weights, {how}, symbolic batch"
            case = f"export_{arch}_{exporter}"
            write_case(case, src, [check[n] for n in names], ops, desc, TOO_BIG.get(arch))
            print(case, len(g.node), "nodes, opset", opset, os.path.getsize(src), "bytes")


def constant_of_shape_default():
    """x [batch, 6] → Shape → ConstantOfShape (no value: float32 zeros) → Add x → Sigmoid."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 6])
    g = helper.make_graph(
        [
            helper.make_node("Shape", ["x"], ["shape"], name="shape_of_x"),
            helper.make_node("ConstantOfShape", ["shape"], ["zeros"], name="zeros_like_x"),
            helper.make_node("Add", ["x", "zeros"], ["s"], name="add_zeros"),
            helper.make_node("Sigmoid", ["s"], ["y"], name="sigmoid"),
        ],
        "constant_of_shape_default", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.producer_name = "ecgc-golden"
    onnx.checker.check_model(m, full_check=True)
    out = os.path.join("golden", "export_constant_of_shape_default")
    os.makedirs(out, exist_ok=True)
    onnx.save(m, os.path.join(out, "model.onnx"))
    rng = np.random.default_rng(6006)
    write_case("export_constant_of_shape_default", None, [rng.uniform(-3, 3, (1, 6))],
               ["Add", "ConstantOfShape", "Shape", "Sigmoid"],
               "ConstantOfShape without value (ONNX: float32 zeros; tract loads f64) on a symbolic batch")
    print("export_constant_of_shape_default")


if __name__ == "__main__":
    export_cases()
    constant_of_shape_default()
