"""Makes the small ONNX files the CLI error tests use (deterministic; run from this folder):
    python3 make_error_models.py   (numpy + onnx, e.g. the golden venv: pip install -r golden/tools/requirements.txt)
- unsupported_ops.onnx: two ops tract reads but ecgc does not compile (CumSum, and ArgMax whose
  int64 result would flow on at run time), so the error must list both nodes.
- dynamic_input.onnx: an input whose first dimension is the symbol "N" (a batch: defaults to 1).
- unknown_length.onnx: an input [1, "T"]: a symbol that is not a leading batch needs --input-shape.
- loop.onnx: an ONNX Loop (what torch.jit.script makes of a Python loop): named as unsupported.
- custom_domain.onnx: an op of a custom domain and an unknown op: both named.
- conflicting_annotations.onnx: value_info and output types that contradict the ops: compiles.
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

# Leading symbolic dims now default to 1; a symbolic dimension elsewhere still needs --input-shape.
xt = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "T"])
yt = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "T"])
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "unknown_length", [xt], [yt])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "unknown_length.onnx")

# loop.onnx: a scripted loop (ONNX Loop, 3 iterations doubling the accumulator), as
# torch.jit.script exports a Python loop.
acc_in = helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1, 4])
acc_out = helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1, 4])
it = helper.make_tensor_value_info("iter", TensorProto.INT64, [])
cond_in = helper.make_tensor_value_info("cond_in", TensorProto.BOOL, [])
cond_out = helper.make_tensor_value_info("cond_out", TensorProto.BOOL, [])
body = helper.make_graph(
    [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
     helper.make_node("Add", ["acc_in", "acc_in"], ["acc_out"], name="double")],
    "body", [it, cond_in, acc_in], [cond_out, acc_out])
xl = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
yl = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
trips = numpy_helper.from_array(np.array(3, dtype=np.int64), "trips")
true = numpy_helper.from_array(np.array(True), "true")
g = helper.make_graph([helper.make_node("Loop", ["trips", "true", "x"], ["y"], name="scripted_loop", body=body)],
                      "loop", [xl], [yl], [trips, true])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "loop.onnx")

# custom_domain.onnx: an op from a custom domain and an op name no ONNX version defines; the error
# lists both.
xc = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
yc = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])
g = helper.make_graph(
    [helper.make_node("Denoise", ["x"], ["d"], name="denoise", domain="com.example.ecg"),
     helper.make_node("Relu", ["d"], ["r"], name="relu"),
     helper.make_node("BeatAlign", ["r"], ["y"], name="align")],
    "custom", [xc], [yc])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example.ecg", 1)])
m.producer_name = "ecgc-tests"
onnx.save(m, "custom_domain.onnx")  # the checker rejects ops it does not know, which is the point

# conflicting_annotations.onnx: the exporter's annotations disagree with what the ops compute
# (value_info says h is double [1, 8], the output says double): tract's own inference must win.
xa = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
ya = helper.make_tensor_value_info("y", TensorProto.DOUBLE, [1, 4])
ha = helper.make_tensor_value_info("h", TensorProto.DOUBLE, [1, 8])
g = helper.make_graph([helper.make_node("Relu", ["x"], ["h"], name="relu"),
                       helper.make_node("Sigmoid", ["h"], ["y"], name="sigmoid")],
                      "conflicting", [xa], [ya], value_info=[ha])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.producer_name = "ecgc-tests"
onnx.save(m, "conflicting_annotations.onnx")  # not checked: the annotations are wrong on purpose
