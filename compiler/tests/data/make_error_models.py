"""Makes the small ONNX files the CLI error tests use (deterministic; run from this folder):
    /usr/bin/python3 make_error_models.py
- unsupported_ops.onnx: two ops tract reads but ecgc does not compile (CumSum, and ArgMax whose
  int64 result would flow on at run time), so the error must list both nodes.
- dynamic_input.onnx: an input whose first dimension is the symbol "N".
- nan_weights.onnx: a MatMul whose weight matrix holds one NaN (a diverged training run).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

def save(model, path):
    model.producer_name = "ecgc-tests"
    onnx.checker.check_model(model)
    onnx.save(model, path)

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])
z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 1])
axis = numpy_helper.from_array(np.array(1, dtype=np.int64), "axis")
g = helper.make_graph(
    [
        helper.make_node("CumSum", ["x", "axis"], ["y"], name="running_total"),
        helper.make_node("ArgMax", ["x"], ["am"], name="peak_index", axis=1, keepdims=1),
        helper.make_node("Cast", ["am"], ["z"], name="peak_as_float", to=TensorProto.FLOAT),
    ],
    "unsupported", [x], [y, z], [axis])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "unsupported_ops.onnx")

xd = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
yd = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "dynamic", [xd], [yd])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "dynamic_input.onnx")

w = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
w[2, 1] = np.nan
xn = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
yn = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
g = helper.make_graph([helper.make_node("MatMul", ["x", "dense_w"], ["y"], name="dense")], "nan", [xn], [yn],
                      [numpy_helper.from_array(w, "dense_w")])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "nan_weights.onnx")
