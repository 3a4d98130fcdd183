"""Makes golden cases from the model zoo's real PyTorch exports (run from the repo root):
    python3 golden/tools/zoo_cases.py
For each listed examples/models/<model>/<file>.onnx it writes golden/zoo_<name>/ with
`model.path` (pointing at the zoo file, so there is one copy of each model), `input_<k>.npy` taken
from the zoo's `<file>.check.npz` in graph-input order, and `case.toml`. Deterministic.
"""
import os
import numpy as np
import onnx

CASES = {
    "zoo_ecg_cnn": ("ecg-cnn", "model", "1-D CNN beat classifier, PyTorch export, trained on MIT-BIH record 208"),
    "zoo_cfc_seq_step": ("cfc-seq", "model", "CfC cell (ncps AutoNCP 20,2) single step with explicit state, PyTorch export"),
    "zoo_cfc_seq_unrolled": ("cfc-seq", "model_unrolled", "CfC over 16 steps, traced (unrolled) PyTorch export"),
    "zoo_ccfc": ("ccfc", "model", "CCfC: ConvLSTM2D one-step front end + Dense + CfC AutoNCP(20,6), PyTorch export"),
    "zoo_cltc": ("cltc", "model", "CLTC: ConvLSTM2D one-step front end + Dense + LTC AutoNCP(20,6), PyTorch export"),
    "zoo_s4d_ecg_step": ("s4d-ecg", "model", "S4D-ECG streaming step graph with explicit state, PyTorch export"),
    "zoo_s4d_ecg_kernel": ("s4d-ecg", "model_kernel", "S4D-ECG, materialised-kernel form (long causal depthwise Conv), PyTorch export"),
    "zoo_s4d_cfc": ("s4d-cfc", "model", "S4D-CfC hybrid, whole window, PyTorch export"),
    "zoo_s4d_cfc_tiny": ("s4d-cfc-tiny", "model", "S4D-CfC tiny, whole window, PyTorch export"),
}

# Whole-window forms that do not fit the STM32F746's 320 KB of RAM are checked with the host target
# (their code is still built for thumbv7em): the reason is stated in the case.
TOO_BIG = {
    "zoo_s4d_ecg_kernel": "the materialised-kernel form holds [1,128,500] activations several times (1 MB arena) and 1.5 MB of kernels: the step graph (zoo_s4d_ecg_step) is the form that fits",
    "zoo_s4d_cfc": "the whole-window form holds [500,128] activations several times (1 MB arena): the streaming form (model_s4d_step + model_head) is the one for the device",
    # The caller's input and output buffers count in RAM (issue 6).
    "zoo_s4d_ecg_step": "the step graph's state goes in and out as 8+8 [1,128,32] tensors (257.6 KiB of caller buffers) beside a 176.5 KiB arena: 434 KiB, over the F746's 320 KiB until state lives inside the model (--state)",
}

for case, (model, stem, description) in CASES.items():
    src = os.path.join("examples/models", model, stem + ".onnx")
    if not os.path.exists(src):
        print("skipped (not in the zoo):", src)
        continue
    g = onnx.load(src).graph
    init = {i.name for i in g.initializer}
    inputs = [i.name for i in g.input if i.name not in init]
    ops = sorted({n.op_type for n in g.node})
    check = np.load(os.path.join("examples/models", model, stem + ".check.npz"))
    out = os.path.join("golden", case)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.path"), "w") as f:
        f.write(os.path.relpath(src, out) + "\n")
    for k, name in enumerate(inputs):
        np.save(os.path.join(out, f"input_{k}.npy"), check[name].astype(np.float32))
    with open(os.path.join(out, "case.toml"), "w") as f:
        f.write(f'description = "{description}"\n')
        f.write("ops = [" + ", ".join(f'"{o}"' for o in ops) + "]\n")
        f.write('made_by = "golden/tools/zoo_cases.py"\n')
        f.write("tolerance = 1e-05\n")
        if case in TOO_BIG:
            f.write('target = "host"\n')
            f.write(f'target_reason = "{TOO_BIG[case]}"\n')
    print(case, src, inputs, len(g.node), "nodes")
