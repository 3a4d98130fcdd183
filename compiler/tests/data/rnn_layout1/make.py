"""ONNX LSTM and GRU with layout = 1 (batch first: X [B, T, I], initial states [B, D, H]) for
compiler/tests/rnn_layout.rs. onnxruntime refuses layout 1, so these are not golden cases (whose
cross-check needs it); tract runs them. Deterministic; run with numpy + onnx:
    python3 compiler/tests/data/rnn_layout1/make.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(3)
for op, gates in [("LSTM", 4), ("GRU", 3)]:
    hidden, inputs, steps, batch = 5, 4, 3, 2
    inits = [
        numpy_helper.from_array((rng.standard_normal((1, gates * hidden, inputs)) / 2).astype(np.float32), "W"),
        numpy_helper.from_array((rng.standard_normal((1, gates * hidden, hidden)) / 2).astype(np.float32), "R"),
        numpy_helper.from_array((0.1 * rng.standard_normal((1, 2 * gates * hidden))).astype(np.float32), "B"),
    ]
    ins = ["x", "W", "R", "B", "", "h0"] + (["c0"] if op == "LSTM" else [])
    graph_inputs = [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, steps, inputs]),
        helper.make_tensor_value_info("h0", TensorProto.FLOAT, [batch, 1, hidden]),
    ]
    if op == "LSTM":
        graph_inputs.append(helper.make_tensor_value_info("c0", TensorProto.FLOAT, [batch, 1, hidden]))
    attrs = {"layout": 1, "hidden_size": hidden}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    node = helper.make_node(op, ins, ["y", "y_h"], name="rnn", **attrs)
    outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ["y", "y_h"]]
    model = helper.make_model(helper.make_graph([node], f"{op.lower()}_layout1", graph_inputs, outputs, initializer=inits),
                              opset_imports=[helper.make_opsetid("", 14)], producer_name="ecgc-tests")
    with open(os.path.join(HERE, f"{op.lower()}.onnx"), "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
