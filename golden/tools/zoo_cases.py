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
}

for case, (model, stem, description) in CASES.items():
    src = os.path.join("examples/models", model, stem + ".onnx")
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
    print(case, src, inputs, len(g.node), "nodes")
