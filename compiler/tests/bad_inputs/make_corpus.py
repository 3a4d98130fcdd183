"""Writes the bad-input corpus that compiler/tests/bad_inputs.rs runs (issue 10).

Each kind is one minimal ONNX model (or a command line over a good model) that a hostile or
careless user could hand to `ecgc compile`, `inspect` or `validate`. The manifest
(manifest.json) gives every kind its class, the command line and the exit code ecgc must give:
2 for a bad model or bad arguments (a clear message naming what is wrong), 0 for an odd but
valid model (its crate must then build).

Deterministic: run from anywhere, with the golden venv (pip install -r golden/tools/requirements.txt):
    python3 compiler/tests/bad_inputs/make_corpus.py
The models are a few hundred bytes each; none holds a large tensor (huge shapes are declared,
never stored).
"""
import io
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
KINDS = []
F = TensorProto.FLOAT

COMPILE = ["compile", "{model}", "--target", "stm32f746", "-o", "{out}"]
INSPECT = ["inspect", "{model}"]
VALIDATE = ["validate", "{model}"]


def vi(name, shape, ty=F):
    return helper.make_tensor_value_info(name, ty, shape)


def model(nodes, inputs, outputs, inits=(), opset=13, opsets=None, ir_version=8):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    ops = opsets if opsets is not None else [helper.make_opsetid("", opset)]
    m = helper.make_model(g, opset_imports=ops, producer_name="ecgc-bad-inputs")
    m.ir_version = ir_version
    return m


def relu_model(**kw):
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])], [vi("y", [1, 8])], **kw)


def add(kind, klass, exit_code, m=None, raw=None, cmd=None, files=None, note="", setup=None):
    """Registers a kind; writes its model (an onnx ModelProto or raw bytes) to models/<kind>.onnx.

    setup: files the test puts in the working directory before running (path -> "dir:",
    "text:...", or "copy:NAME" of a file in models/); the test checks they are byte-identical
    afterwards. In cmd, "{xff}" is the byte 0xFF (an argument that is not UTF-8)."""
    name = f"{kind}.onnx"
    path = os.path.join(MODELS, name)
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    elif m is not None:
        with open(path, "wb") as f:
            f.write(m.SerializeToString(deterministic=True))
    else:
        name = None
    for rel, data in (files or {}).items():
        with open(os.path.join(MODELS, rel), "wb") as f:
            f.write(data)
    entry = {
        "kind": kind,
        "class": klass,
        "model": name,
        "args": COMPILE if cmd is None else cmd,
        "exit": exit_code,
        "note": note,
    }
    if setup:
        entry["setup"] = setup
    KINDS.append(entry)


def const_node(out, arr, name=None):
    return helper.make_node("Constant", [], [out], name=name or out, value=numpy_helper.from_array(arr, out + "_v"))


def i64(*v):
    return np.array(v, dtype=np.int64)


def main():
    shutil.rmtree(MODELS, ignore_errors=True)
    os.makedirs(MODELS)
    good = relu_model()
    good_bytes = good.SerializeToString(deterministic=True)

    # ---- proto: files that are not (complete) ONNX protobufs --------------------------------
    add("proto_empty_file", "proto", 2, raw=b"")
    add("proto_text_file", "proto", 2, raw=b"lead II, 360 Hz, record 208\n")
    add("proto_truncated_half", "proto", 2, raw=good_bytes[: len(good_bytes) // 2])
    add("proto_truncated_one_byte", "proto", 2, raw=good_bytes[:-1])
    add("proto_random_bytes", "proto", 2, raw=bytes((i * 97 + 13) % 256 for i in range(300)))
    add("proto_bad_varint", "proto", 2, raw=b"\x08" + b"\xff" * 12)
    add("proto_wrong_wire_type", "proto", 2, raw=b"\x3d\x00\x00\x00\x00" + good_bytes)
    add("proto_zip_header", "proto", 2, raw=b"PK\x03\x04" + b"\x00" * 40)
    add("proto_json_model", "proto", 2, raw=b'{"graph": {"node": []}}')
    add("proto_no_graph", "proto", 2, m=onnx.ModelProto(ir_version=8, opset_import=[helper.make_opsetid("", 13)]))
    empty_graph = model([], [], [])
    add("proto_empty_graph", "proto", 2, m=empty_graph)
    add("proto_missing_model_file", "proto", 2, cmd=["compile", "{tmp}/no_such_model.onnx", "--target", "stm32f746",
                                                     "-o", "{out}"])
    add("proto_model_is_directory", "proto", 2, cmd=["compile", "{tmp}", "--target", "stm32f746", "-o", "{out}"])

    # ---- opset -----------------------------------------------------------------------------
    add("opset_99", "opset", 2, m=relu_model(opset=99))
    add("opset_missing", "opset", 2, m=relu_model(opsets=[]))
    add("opset_1", "opset", 2, m=relu_model(opset=1))
    add("opset_negative", "opset", 2, m=relu_model(opset=-3))
    add("opset_ai_onnx_99", "opset", 2, m=relu_model(opsets=[helper.make_opsetid("ai.onnx", 99)]))
    add("opset_only_custom_domain", "opset", 2, m=relu_model(opsets=[helper.make_opsetid("com.example", 1)]))
    add("opset_twice", "opset", 2, m=relu_model(opsets=[helper.make_opsetid("", 13), helper.make_opsetid("", 17)]))

    # ---- structure: the ONNX graph rules ---------------------------------------------------
    add("graph_no_outputs", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])], []))
    add("graph_two_writers", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu"),
                 helper.make_node("Neg", ["x"], ["y"], name="neg")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("graph_writer_overwrites_input", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["x"], name="relu")], [vi("x", [1, 8])], [vi("x", [1, 8])]))
    add("graph_undefined_operand", "structure", 2,
        m=model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("graph_output_undefined", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])],
                [vi("y", [1, 8]), vi("nowhere", [1, 8])]))
    add("graph_cycle", "structure", 2,
        m=model([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                 helper.make_node("Relu", ["a"], ["b"], name="second")], [vi("x", [1, 8])], [vi("b", [1, 8])]))
    add("graph_node_out_of_order", "structure", 0,
        m=model([helper.make_node("Relu", ["a"], ["y"], name="second"),
                 helper.make_node("Neg", ["x"], ["a"], name="first")], [vi("x", [1, 8])], [vi("y", [1, 8])]),
        note="ONNX requires topological order, but tract sorts; accepted")
    add("graph_duplicate_inputs", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8]), vi("x", [1, 8])],
                [vi("y", [1, 8])]))
    add("graph_duplicate_initializer", "structure", 2,
        m=model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [1, 8])], [vi("y", [1, 8])],
                [numpy_helper.from_array(np.ones((1, 8), np.float32), "b"),
                 numpy_helper.from_array(np.zeros((1, 8), np.float32), "b")]))
    add("graph_node_writes_initializer", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["b"], name="relu"), helper.make_node("Add", ["x", "b"], ["y"],
                                                                                        name="add")],
                [vi("x", [1, 8])], [vi("y", [1, 8])], [numpy_helper.from_array(np.ones((1, 8), np.float32), "b")]))
    add("graph_node_no_outputs", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu"), helper.make_node("Neg", ["x"], [], name="lost")],
                [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("graph_empty_op_type", "structure", 2,
        m=model([helper.make_node("", ["x"], ["y"], name="blank")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("graph_input_no_type", "structure", 2,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [onnx.ValueInfoProto(name="x")],
                [vi("y", [1, 8])]))
    add("graph_output_twice", "structure", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])],
                [vi("y", [1, 8]), vi("y", [1, 8])]), note="the same tensor twice as an output: two copies")
    add("graph_unused_node", "structure", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu"), helper.make_node("Neg", ["x"], ["dead"],
                                                                                        name="dead")],
                [vi("x", [1, 8])], [vi("y", [1, 8])]), note="a node nobody reads: removed")
    add("graph_unused_input", "structure", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8]), vi("spare", [1, 4])],
                [vi("y", [1, 8])]), note="an input no node reads: kept in the API")
    add("graph_no_inputs_constant_only", "structure", 0,
        m=model([const_node("c", np.ones((1, 4), np.float32)), helper.make_node("Relu", ["c"], ["y"], name="relu")],
                [], [vi("y", [1, 4])]), note="no inputs: a constant function")

    # ---- shape: declared dimensions --------------------------------------------------------
    def relu_shape(shape, **kw):
        return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", shape)], [vi("y", shape)], **kw)

    add("shape_negative_dim", "shape", 2, m=relu_shape([1, -5]))
    add("shape_zero_dim", "shape", 2, m=relu_shape([1, 0]))
    add("shape_2p64_elements", "shape", 2, m=relu_shape([1 << 32, 1 << 32]))
    add("shape_2p62_elements", "shape", 2, m=relu_shape([1 << 31, 1 << 31]))
    add("shape_beyond_memory", "shape", 2, m=relu_shape([1, 1 << 30]), note="4 GiB of f32")
    add("shape_huge_single_dim", "shape", 2, m=relu_shape([1, (1 << 63) - 1]))
    add("shape_rank_12", "shape", 0, m=relu_shape([1] * 11 + [2]), note="a rank-12 elementwise graph compiles")
    add("shape_negative_dim_given_by_input_shape", "shape", 0, m=relu_shape([1, -5]),
        cmd=COMPILE + ["--input-shape", "x=1,5"], note="--input-shape replaces the bad dimension")
    add("shape_scalar_input", "shape", 0, m=relu_shape([]), note="a rank-0 input compiles")
    add("shape_input_shape_2p60", "shape", 2, m=relu_model(),
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape",
             "x=1152921504606846976,16"])
    add("shape_input_shape_overflow", "shape", 2, m=relu_model(),
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape",
             "x=4294967296,4294967296"])
    add("shape_input_shape_rank_change", "shape", 0, m=relu_model(),
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape", "x=2,2,2"],
        note="elementwise graph: any rank works")
    add("shape_output_annotation_wrong", "shape", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])], [vi("y", [3, 3])]),
        note="annotations are hints; tract's inference wins")
    add("shape_inspect_2p64_elements", "shape", 2, m=relu_shape([1 << 32, 1 << 32]), cmd=INSPECT)
    add("shape_inspect_negative_dim", "shape", 2, m=relu_shape([1, -5]), cmd=INSPECT)

    # ---- initializer: stored tensors -------------------------------------------------------
    def add_init(t, out_shape=(1, 8)):
        return model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [1, 8])],
                     [vi("y", list(out_shape))], [t])

    add("init_float_data_short", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, 8], float_data=[1.0, 2.0, 3.0])))
    add("init_float_data_long", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, 8], float_data=[1.0] * 9)))
    add("init_raw_data_short", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, 8], raw_data=b"\x00" * 12)))
    add("init_raw_data_not_multiple", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, 8], raw_data=b"\x00" * 33)))
    add("init_no_data", "initializer", 2, m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, 8])))
    add("init_negative_dim", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1, -8], float_data=[0.0] * 8)))
    add("init_huge_dims_no_data", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=F, dims=[1 << 20, 1 << 20])))
    add("init_undefined_dtype", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=0, dims=[1, 8], float_data=[0.0] * 8)))
    add("init_unknown_dtype_99", "initializer", 2,
        m=add_init(onnx.TensorProto(name="b", data_type=99, dims=[1, 8], raw_data=b"\x00" * 32)))
    add("init_string_weights", "initializer", 2,
        m=add_init(helper.make_tensor("b", TensorProto.STRING, [1, 8], [b"w"] * 8)))
    add("init_int64_data_short", "initializer", 2,
        m=model([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")], [vi("x", [1, 8])], [vi("y", [8])],
                [onnx.TensorProto(name="s", data_type=TensorProto.INT64, dims=[2], int64_data=[8])]))
    add("init_no_name", "initializer", 2,
        m=model([helper.make_node("Add", ["x", ""], ["y"], name="add")], [vi("x", [1, 8])], [vi("y", [1, 8])],
                [numpy_helper.from_array(np.ones((1, 8), np.float32), "")]))
    nanw = np.ones((1, 8), np.float32)
    nanw[0, 3] = np.nan
    add("init_nan_weight", "initializer", 2, m=add_init(numpy_helper.from_array(nanw, "b")))
    infw = np.ones((1, 8), np.float32)
    infw[0, 0] = np.inf
    add("init_inf_weight", "initializer", 2, m=add_init(numpy_helper.from_array(infw, "b")))
    # a model.half() export: float16 input, weight and output; the NaN survives the widening to f32
    h = TensorProto.FLOAT16
    add("init_float16_nan_weight", "initializer", 2,
        m=model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [1, 8], h)], [vi("y", [1, 8], h)],
                [numpy_helper.from_array(nanw.astype(np.float16), "b")]))
    add("init_input_with_initializer_default", "initializer", 0,
        m=model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [1, 8]), vi("b", [1, 8])],
                [vi("y", [1, 8])], [numpy_helper.from_array(np.ones((1, 8), np.float32), "b")]),
        note="an input with an initializer (IR >= 4) is a constant")

    # ---- external data ---------------------------------------------------------------------
    def external(kind, write_file, location="weights.bin", offset=None, length=None):
        t = numpy_helper.from_array(np.arange(8, dtype=np.float32).reshape(1, 8) / 8, "b")
        raw = t.raw_data
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        entries = [("location", location)]
        if offset is not None:
            entries.append(("offset", str(offset)))
        if length is not None:
            entries.append(("length", str(length)))
        for k, v in entries:
            e = t.external_data.add()
            e.key, e.value = k, v
        files = {}
        if write_file:
            files[f"{kind}.bin"] = raw
        return add_init(t), files

    m, files = external("external_data_present", True, location="external_data_present.bin")
    add("external_data_present", "external", 0, m=m, files=files, note="weights beside the model: loaded")
    m, files = external("external_data_missing", False, location="external_data_missing.bin")
    add("external_data_missing", "external", 2, m=m, note="the missing file is named")
    m, files = external("external_data_short", False, location="external_data_short.bin")
    files = {"external_data_short.bin": b"\x00" * 12}
    add("external_data_short", "external", 2, m=m, files=files)
    m, _ = external("external_data_escape", False, location="../../../../etc/passwd")
    add("external_data_path_escape", "external", 2, m=m, note="a location outside the model's folder is refused")
    m, _ = external("external_data_absolute", False, location="/etc/passwd")
    add("external_data_absolute_path", "external", 2, m=m)
    m, _ = external("external_data_offset", False, location="external_data_present.bin", offset=1 << 40)
    add("external_data_offset_beyond", "external", 2, m=m)
    m, _ = external("external_data_inspect", False, location="external_data_present.bin")
    add("external_data_inspect", "external", 0, m=m, cmd=INSPECT)

    # ---- op attributes and constant operands checked before tract ---------------------------
    def slice_model(steps):
        inits = [numpy_helper.from_array(i64(0), "st"), numpy_helper.from_array(i64(8), "en"),
                 numpy_helper.from_array(i64(1), "ax"), numpy_helper.from_array(i64(*steps), "sp")]
        return model([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="slice")],
                     [vi("x", [1, 8])], [vi("y", [1, 8])], inits)

    add("op_slice_step_zero", "op-attribute", 2, m=slice_model([0]))
    hidden = slice_model([0])
    hidden.graph.node.insert(0, helper.make_node("Identity", ["sp"], ["sp_copy"], name="copy_steps"))
    hidden.graph.node[1].input[4] = "sp_copy"
    add("op_slice_step_zero_hidden", "op-attribute", 2, m=hidden,
        note="a zero step the proto check cannot see (behind an Identity): tract's panic is caught, silently")
    add("op_slice_axis_out_of_range", "op-attribute", 2,
        m=model([helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"], name="slice")], [vi("x", [1, 8])],
                [vi("y", [1, 8])],
                [numpy_helper.from_array(i64(0), "st"), numpy_helper.from_array(i64(8), "en"),
                 numpy_helper.from_array(i64(7), "ax")]))

    def transpose(perm, shape=(2, 3)):
        return model([helper.make_node("Transpose", ["x"], ["y"], name="transpose", perm=perm)],
                     [vi("x", list(shape))], [vi("y", list(shape))])

    add("op_transpose_perm_repeated", "op-attribute", 2, m=transpose([0, 0]))
    add("op_transpose_perm_out_of_range", "op-attribute", 2, m=transpose([0, 5]))
    add("op_transpose_perm_negative", "op-attribute", 2, m=transpose([-1, 0]))
    add("op_transpose_perm_too_short", "op-attribute", 2, m=transpose([0]))

    def cos(shape_values, value=None):
        kw = {} if value is None else {"value": value}
        return model([helper.make_node("ConstantOfShape", ["s"], ["c"], name="fill", **kw),
                      helper.make_node("Add", ["x", "c"], ["y"], name="add")], [vi("x", [1])], [vi("y", None)],
                     [numpy_helper.from_array(i64(*shape_values), "s")])

    add("op_constant_of_shape_2p44", "op-attribute", 2, m=cos([1 << 22, 1 << 22]))
    add("op_constant_of_shape_negative", "op-attribute", 2, m=cos([4, -2]))
    add("op_constant_of_shape_overflow", "op-attribute", 2, m=cos([1 << 32, 1 << 32, 1 << 32]))

    def gather(indices, shape=(1, 8), axis=1):
        return model([helper.make_node("Gather", ["x", "i"], ["y"], name="pick", axis=axis)], [vi("x", list(shape))],
                     [vi("y", None)], [numpy_helper.from_array(i64(*indices), "i")])

    add("op_gather_index_minus_17", "op-attribute", 2, m=gather([-17]))
    add("op_gather_index_too_big", "op-attribute", 2, m=gather([0, 8]))
    add("op_gather_axis_out_of_range", "op-attribute", 2, m=gather([0], axis=4))
    add("op_gather_negative_index_ok", "op-attribute", 0, m=gather([-1, 0]), note="-1 is the last element")

    def reshape(target, shape=(1, 8)):
        return model([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")], [vi("x", list(shape))],
                     [vi("y", None)], [numpy_helper.from_array(i64(*target), "s")])

    add("op_reshape_count_mismatch", "op-attribute", 2, m=reshape([3, 3]))
    add("op_reshape_two_minus_one", "op-attribute", 2, m=reshape([-1, -1]))
    add("op_reshape_negative", "op-attribute", 2, m=reshape([-4, 2]))

    def conv(w_shape, x_shape=(1, 1, 8), **attrs):
        w = numpy_helper.from_array(np.ones(w_shape, np.float32) / 4, "w")
        return model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)], [vi("x", list(x_shape))],
                     [vi("y", None)], [w])

    add("op_conv_kernel_longer_than_input", "op-attribute", 2, m=conv((1, 1, 12)))
    add("op_conv_channel_mismatch", "op-attribute", 2, m=conv((1, 3, 3)))
    add("op_conv_stride_zero", "op-attribute", 2, m=conv((1, 1, 3), strides=[0]))
    add("op_conv_dilation_zero", "op-attribute", 2, m=conv((1, 1, 3), dilations=[0]))
    add("op_conv_group_zero", "op-attribute", 2, m=conv((1, 1, 3), group=0))
    add("op_conv_negative_pad", "op-attribute", 2, m=conv((1, 1, 3), pads=[-2, 0]))

    def maxpool(kernel, x_shape=(1, 1, 8), **attrs):
        return model([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=kernel, **attrs)],
                     [vi("x", list(x_shape))], [vi("y", None)])

    add("op_maxpool_kernel_longer_than_input", "op-attribute", 2, m=maxpool([12]))
    add("op_maxpool_kernel_zero", "op-attribute", 2, m=maxpool([0]))
    add("op_maxpool_stride_zero", "op-attribute", 2, m=maxpool([2], strides=[0]))
    add("op_maxpool_kernel_rank_mismatch", "op-attribute", 2, m=maxpool([2, 2]))
    add("op_avgpool_kernel_longer_than_input", "op-attribute", 2,
        m=model([helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[20])],
                [vi("x", [1, 1, 8])], [vi("y", None)]))
    add("op_concat_axis_out_of_range", "op-attribute", 2,
        m=model([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=3)], [vi("x", [1, 8])],
                [vi("y", None)]))
    add("op_split_sizes_wrong", "op-attribute", 2,
        m=model([helper.make_node("Split", ["x", "s"], ["a", "b"], name="split", axis=1)], [vi("x", [1, 8])],
                [vi("a", None), vi("b", None)], [numpy_helper.from_array(i64(3, 3), "s")]))
    add("op_flatten_axis_out_of_range", "op-attribute", 2,
        m=model([helper.make_node("Flatten", ["x"], ["y"], name="flat", axis=5)], [vi("x", [1, 8])], [vi("y", None)]))
    add("op_cast_to_string", "op-attribute", 2,
        m=model([helper.make_node("Cast", ["x"], ["y"], name="cast", to=TensorProto.STRING)], [vi("x", [1, 8])],
                [vi("y", [1, 8], TensorProto.STRING)]))
    add("op_missing_required_input", "op-attribute", 2,
        m=model([helper.make_node("Add", ["x"], ["y"], name="add")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("op_too_many_inputs", "op-attribute", 2,
        m=model([helper.make_node("Relu", ["x", "x"], ["y"], name="relu")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("op_unknown_attribute_type", "op-attribute", 2,
        m=model([helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis="one")], [vi("x", [1, 8])],
                [vi("y", [1, 8])]))

    # ---- user shape errors found while typing or lowering: exit 2, naming the node ----------
    add("user_add_not_broadcastable", "user-shape", 2,
        m=model([helper.make_node("Add", ["x", "z"], ["y"], name="add")], [vi("x", [1, 8]), vi("z", [1, 3])],
                [vi("y", None)]))
    add("user_add_const_not_broadcastable", "user-shape", 2,
        m=model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [vi("x", [1, 8])], [vi("y", None)],
                [numpy_helper.from_array(np.ones((5,), np.float32), "b")]))
    add("user_softmax_axis_5", "user-shape", 2,
        m=model([helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis=5)], [vi("x", [1, 8])],
                [vi("y", [1, 8])]))
    add("user_softmax_axis_minus_3", "user-shape", 2,
        m=model([helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis=-3)], [vi("x", [1, 8])],
                [vi("y", [1, 8])]))
    add("user_matmul_inner_mismatch", "user-shape", 2,
        m=model([helper.make_node("MatMul", ["x", "w"], ["y"], name="dense")], [vi("x", [1, 8])], [vi("y", None)],
                [numpy_helper.from_array(np.ones((5, 3), np.float32), "w")]))
    add("user_gemm_mismatch", "user-shape", 2,
        m=model([helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm", transB=1)], [vi("x", [1, 8])],
                [vi("y", None)], [numpy_helper.from_array(np.ones((3, 5), np.float32), "w")]))
    add("user_concat_mismatch", "user-shape", 2,
        m=model([helper.make_node("Concat", ["x", "z"], ["y"], name="cat", axis=1)],
                [vi("x", [1, 8]), vi("z", [2, 3])], [vi("y", None)]))
    add("user_reduce_axis_out_of_range", "user-shape", 2,
        m=model([helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[4])], [vi("x", [1, 8])],
                [vi("y", None)]))
    add("user_layernorm_scale_mismatch", "user-shape", 2,
        m=model([helper.make_node("LayerNormalization", ["x", "s"], ["y"], name="ln", axis=-1)],
                [vi("x", [1, 8])], [vi("y", None)], [numpy_helper.from_array(np.ones((3,), np.float32), "s")],
                opset=17))
    add("user_where_not_broadcastable", "user-shape", 2,
        m=model([helper.make_node("Greater", ["x", "z"], ["c"], name="gt"),
                 helper.make_node("Where", ["c", "x", "w"], ["y"], name="where")],
                [vi("x", [1, 8]), vi("z", [1, 8]), vi("w", [1, 3])], [vi("y", None)]))
    add("user_matmul_result_beyond_memory", "user-shape", 2,
        m=model([helper.make_node("MatMul", ["x", "z"], ["y"], name="outer")], [vi("x", [65536, 1]),
                                                                               vi("z", [1, 65536])], [vi("y", None)]),
        note="inputs of 256 KiB, a 16 GiB result")
    add("user_expand_beyond_memory", "user-shape", 2,
        m=model([helper.make_node("Expand", ["x", "s"], ["y"], name="grow")], [vi("x", [1, 1])], [vi("y", None)],
                [numpy_helper.from_array(i64(1 << 20, 1 << 12), "s")]))
    add("user_int64_input", "user-shape", 2,
        m=model([helper.make_node("Cast", ["x"], ["y"], name="cast", to=F)], [vi("x", [1, 8], TensorProto.INT64)],
                [vi("y", [1, 8])]))
    add("user_string_constant_output", "user-shape", 2,
        m=model([const_node("y", np.array([b"a", b"b"], dtype=object), name="words")], [], [vi("y", [2],
                                                                                              TensorProto.STRING)]))
    add("user_nan_constant_output", "user-shape", 2,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                 const_node("c", np.array([1.0, np.nan], np.float32), name="bad_const")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("c", [2])]))
    add("user_int64_constant_output", "user-shape", 2,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu"), const_node("c", i64(3, 4), name="shape_c")],
                [vi("x", [1, 8])], [vi("r", [1, 8]), vi("c", [2], TensorProto.INT64)]))
    add("user_inspect_add_not_broadcastable", "user-shape", 2,
        m=model([helper.make_node("Add", ["x", "z"], ["y"], name="add")], [vi("x", [1, 8]), vi("z", [1, 3])],
                [vi("y", None)]), cmd=INSPECT)
    add("user_validate_softmax_axis_5", "user-shape", 2,
        m=model([helper.make_node("Softmax", ["x"], ["y"], name="softmax", axis=5)], [vi("x", [1, 8])],
                [vi("y", [1, 8])]), cmd=VALIDATE)

    # ---- LSTM / GRU (rewritten into their cells by the front end) ----------------------------
    def rnn(kind, exit_code, op="LSTM", steps=3, x_inputs=None, extra_inits=(), note="", **attrs):
        g = 4 if op == "LSTM" else 3
        rng = np.random.default_rng(7)
        w = numpy_helper.from_array(rng.standard_normal((1, g * 3, 2)).astype(np.float32) * 0.5, "W")
        r = numpy_helper.from_array(rng.standard_normal((1, g * 3, 3)).astype(np.float32) * 0.5, "R")
        ins = x_inputs or ["x", "W", "R"]
        node = helper.make_node(op, ins, ["y", "y_h"], name="rnn", hidden_size=3, **attrs)
        add(kind, "rnn", exit_code, m=model([node], [vi("x", [steps, 1, 2])], [vi("y", None), vi("y_h", None)],
                                           [w, r, *extra_inits]), note=note)

    rnn("rnn_lstm_activation_elu", 2, activations=["Sigmoid", "Elu", "Tanh"])
    rnn("rnn_lstm_clip", 2, clip=3.0)
    rnn("rnn_lstm_input_forget", 2, input_forget=1)
    rnn("rnn_gru_sequence_lens", 2, op="GRU", x_inputs=["x", "W", "R", "", "lens"],
        extra_inits=[numpy_helper.from_array(np.array([2], np.int32), "lens")])
    rnn("rnn_lstm_sequence_lens_full", 0, x_inputs=["x", "W", "R", "", "lens"],
        extra_inits=[numpy_helper.from_array(np.array([3], np.int32), "lens")],
        note="sequence_lens equal to the window length is the plain LSTM")
    rnn("rnn_lstm_window_too_long", 2, steps=2000, note="more steps than ecgc unrolls: the message names --stream")
    rnn("rnn_validate_reverse_lstm", 0, direction="reverse",
        note="tract runs a reverse-only LSTM forward: validate says so and uses the IR interpreter")
    KINDS[-1]["args"] = ["validate", "{model}"]
    rnn("rnn_gru_window_unrolled", 0, op="GRU", steps=5, note="a short window compiles, unrolled, with a notice")

    # ---- outputs that no node computes -----------------------------------------------------
    add("passthrough_input_is_output", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 8])],
                [vi("y", [1, 8]), vi("x", [1, 8])]))
    add("passthrough_only_input", "passthrough", 0, m=model([], [vi("x", [1, 8])], [vi("x", [1, 8])]))
    add("passthrough_identity_of_input", "passthrough", 0,
        m=model([helper.make_node("Identity", ["x"], ["y"], name="same")], [vi("x", [1, 8])], [vi("y", [1, 8])]))
    add("passthrough_constant_output", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                 const_node("c", np.array([0.5, 1.5], np.float32), name="bias")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("c", [2])]))
    add("passthrough_initializer_output", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("w", [3])], [numpy_helper.from_array(np.array([1, 2, 3], np.float32), "w")]))
    add("passthrough_empty_tensor_output", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                 const_node("e", np.zeros((0,), np.float32), name="empty")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("e", [0])]))
    add("passthrough_unused_state", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["y"], name="relu"),
                 helper.make_node("Identity", ["h"], ["h_next"], name="keep_state")],
                [vi("x", [1, 8]), vi("h", [1, 4])], [vi("y", [1, 8]), vi("h_next", [1, 4])]))
    add("passthrough_swapped_inputs", "passthrough", 0,
        m=model([], [vi("a", [1, 2]), vi("b", [1, 3])], [vi("b", [1, 3]), vi("a", [1, 2])]))
    add("passthrough_folded_output", "passthrough", 0,
        m=model([const_node("c", np.ones((2,), np.float32)), helper.make_node("Neg", ["c"], ["n"], name="neg"),
                 helper.make_node("Relu", ["x"], ["r"], name="relu")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("n", [2])]), note="an output tract folds to a constant")
    add("passthrough_bool_constant_output", "passthrough", 0,
        m=model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                 const_node("c", np.array([True, False]), name="flags")], [vi("x", [1, 8])],
                [vi("r", [1, 8]), vi("c", [2], TensorProto.BOOL)]))
    add("passthrough_inspect_input_is_output", "passthrough", 0,
        m=model([], [vi("x", [1, 8])], [vi("x", [1, 8])]), cmd=INSPECT)

    # ---- odd names: must compile to identifiers that build ---------------------------------
    def named(x, y, node="n"):
        return model([helper.make_node("Relu", [x], [y], name=node)], [vi(x, [1, 4])], [vi(y, [1, 4])])

    add("names_rust_keywords", "names", 0, m=named("fn", "self", node="impl"))
    add("names_unicode", "names", 0, m=named("entrée_ß", "sortie_Ω", node="nœud"))
    add("names_only_symbols", "names", 0, m=named("???", "!!!", node="***"))
    add("names_collide_after_sanitising", "names", 0,
        m=model([helper.make_node("Relu", ["x.a"], ["y-a"], name="n1"),
                 helper.make_node("Neg", ["x_a"], ["y_a"], name="n2")],
                [vi("x.a", [1, 4]), vi("x_a", [1, 4])], [vi("y-a", [1, 4]), vi("y_a", [1, 4])]))
    add("names_quotes_and_newlines", "names", 0, m=named('x"\n}', 'y\\"\r\n/*', node='*/ panic!("x"); //'))
    add("names_very_long", "names", 0, m=named("x" * 5000, "y" * 5000, node="n" * 5000))
    add("names_leading_digits", "names", 0, m=named("0in", "1out", node="2node"))
    add("names_empty_node_names", "names", 0,
        m=model([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["a"], ["y"])], [vi("x", [1, 4])],
                [vi("y", [1, 4])]))
    add("names_model_and_arena", "names", 0, m=named("model", "arena", node="core"))
    add("names_empty_tensor_name", "names", 2, m=named("", "y"), note="an input named '' is not a valid ONNX name")

    # ---- command lines over a good model (owned by the CLI; these already behave) ----------
    add("cli_unknown_target", "cli", 2, m=good, cmd=["compile", "{model}", "--target", "z80", "-o", "{out}"])
    add("cli_missing_target", "cli", 2, m=good, cmd=["compile", "{model}", "-o", "{out}"])
    add("cli_unknown_flag", "cli", 2, m=good, cmd=["compile", "{model}", "--target", "stm32f746", "--turbo"])
    add("cli_input_shape_no_equals", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape", "x"])
    add("cli_input_shape_zero", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape", "x=1,0"])
    add("cli_input_shape_negative", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape", "x=1,-5"])
    add("cli_input_shape_unknown_input", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--input-shape", "nope=1,8"])
    add("cli_max_flash_garbage", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--max-flash", "lots"])
    add("cli_precision_unknown", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--precision", "f64"])
    add("cli_state_every_input", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--state", "x=y"])
    add("cli_state_unknown_input", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--state", "h=y"])
    add("cli_state_no_equals", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--state", "x"])
    add("cli_stream_no_state", "cli", 2, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--stream"])
    add("cli_validate_bad_input_file", "cli", 2, m=good, cmd=["validate", "{model}", "--input", "x={tmp}/none.npy"])
    add("cli_no_subcommand", "cli", 2, cmd=[])
    add("cli_print_after_unknown_pass", "cli", 2, m=good, cmd=["inspect", "{model}", "--print-after", "nosuchpass"])
    add("cli_tiny_ram_budget", "cli", 3, m=good,
        cmd=["compile", "{model}", "--target", "stm32f746", "-o", "{out}", "--max-ram", "8"])
    add("cli_good_model_compiles", "cli", 0, m=good)

    # ---- output paths: never lose a user's file, never leave one behind --------------------
    # (issue 10: -o replaced whatever was there; --report failed after the crate was written)
    fast = ["compile", "{model}", "--target", "stm32f746", "--no-measure"]
    mine = "text:my notes, not ecgc's\n"
    add("out_onto_user_directory", "out", 2, m=good, cmd=fast + ["-o", "{out}"],
        setup={"out/notes.txt": mine, "out/src/main.rs": "text:fn main() {}\n"},
        note="a non-empty directory that is not an ecgc crate is never replaced without --force")
    add("out_onto_user_directory_forced", "out", 0, m=good, cmd=fast + ["-o", "{out}", "--force"],
        setup={"out/notes.txt": mine}, note="--force replaces it")
    add("out_onto_earlier_crate", "out", 0, m=good, cmd=fast + ["-o", "{out}"],
        setup={"out/Cargo.toml": "text:# @generated by ecgc 0.0.1. Do not edit: regenerate with\n#   ecgc\n",
               "out/stale.rs": "text:// from an earlier compile\n"},
        note="replacing an earlier ecgc crate is the edit-compile loop")
    add("out_onto_empty_directory", "out", 0, m=good, cmd=fast + ["-o", "{out}"], setup={"out": "dir:"})
    add("out_onto_model", "out", 2, m=good, cmd=fast + ["-o", "{model}"])
    add("out_onto_model_forced", "out", 2, m=good, cmd=fast + ["-o", "{model}", "--force"])
    add("out_onto_directory_holding_model", "out", 2, m=good,
        cmd=["compile", "{tmp}/models/m.onnx", "--target", "stm32f746", "--no-measure", "-o", "{tmp}/models",
             "--force"], setup={"models/m.onnx": "copy:out_onto_directory_holding_model.onnx"})
    add("out_onto_regular_file", "out", 2, m=good, cmd=fast + ["-o", "{out}"], setup={"out": mine})
    add("out_onto_regular_file_forced", "out", 2, m=good, cmd=fast + ["-o", "{out}", "--force"],
        setup={"out": mine})
    add("out_working_directory", "out", 2, m=good, cmd=fast + ["-o", "."], setup={"notes.txt": mine})
    add("out_working_directory_forced", "out", 2, m=good, cmd=fast + ["-o", "..", "--force"])
    add("out_under_regular_file", "out", 2, m=good, cmd=fast + ["-o", "{tmp}/notes.txt/crate"],
        setup={"notes.txt": mine})
    add("out_nonexistent_dot", "out", 0, m=good, cmd=fast + ["-o", "{out}/."],
        note="'out/.' is 'out': written there, no temporary directory left in the working directory")
    add("out_not_utf8_model_path", "out", 0, m=good,
        cmd=["compile", "{tmp}/m{xff}.onnx", "--target", "stm32f746", "--no-measure", "-o", "{out}"],
        setup={"m{xff}.onnx": "copy:out_not_utf8_model_path.onnx"},
        note="a path that is not UTF-8 is an ordinary path (the model card shows it lossily); "
             "rustc itself cannot build a crate under a non-UTF-8 path, so -o stays UTF-8 here")
    add("out_not_utf8_crate_dir", "out", 2, m=good, cmd=fast + ["-o", "{tmp}/crate{xff}"],
        note="rustc stops with an internal error building a crate under a non-UTF-8 path: refused up front")
    add("report_under_regular_file", "out", 2, m=good,
        cmd=fast + ["-o", "{out}", "--report", "{tmp}/notes.txt/r.json"], setup={"notes.txt": mine},
        note="found before the crate is written")
    add("report_is_model", "out", 2, m=good, cmd=fast + ["-o", "{out}", "--report", "{model}"])
    add("report_inside_out", "out", 2, m=good, cmd=fast + ["-o", "{out}", "--report", "{out}/r.json"])
    add("report_is_directory", "out", 2, m=good, cmd=fast + ["-o", "{out}", "--report", "{tmp}/d"],
        setup={"d/notes.txt": mine})
    add("plan_svg_is_model", "out", 2, m=good, cmd=fast + ["-o", "{out}", "--plan-svg", "{model}"])

    # ---- arguments that used to panic or give a broken crate with exit 0 --------------------
    add("cli_not_utf8_model_path", "cli", 2, m=good, cmd=["compile", "{tmp}/m{xff}.onnx", "--target", "stm32f746", "--no-measure", "-o", "{out}"],
        note="no such file; the message shows the path lossily, no panic")
    add("cli_not_utf8_name", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "ecg{xff}"])
    add("cli_not_utf8_target", "cli", 2, m=good, cmd=["compile", "{model}", "--target", "stm{xff}", "-o", "{out}"])
    add("cli_name_kernels", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "ecgc-kernels"])
    add("cli_name_kernels_underscore", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "ecgc_kernels"])
    add("cli_name_300_chars", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "a" * 300])
    add("cli_name_65_chars", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "a" * 65])
    add("cli_name_64_chars", "cli", 0, m=good, cmd=fast + ["-o", "{out}", "--name", "a" * 64])
    for kw in ["fn", "self", "crate", "core", "super", "std"]:
        add(f"cli_name_{kw}", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", kw])
    add("cli_name_leading_digit", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--name", "1ecg"])
    add("cli_kernels_path_not_a_crate", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--kernels-path", "{tmp}"])
    add("cli_kernels_path_other_crate", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--kernels-path", "{tmp}/k"],
        setup={"k/Cargo.toml": 'text:[package]\nname = "other"\nversion = "0.1.0"\n'})
    add("cli_kernels_path_inside_out", "cli", 2, m=good,
        cmd=fast + ["-o", "{out}", "--kernels-path", "{out}/k"],
        setup={"out/Cargo.toml": "text:# @generated by ecgc 0.0.1. Do not edit: regenerate with\n#   ecgc\n",
               "out/k/Cargo.toml": 'text:[package]\nname = "ecgc-kernels"\nversion = "0.1.0"\n'},
        note="replacing the crate would delete the kernels it depends on")
    add("cli_kernels_path_missing", "cli", 2, m=good, cmd=fast + ["-o", "{out}", "--kernels-path", "{tmp}/none"])
    add("cli_kernels_version_garbage", "cli", 2, m=good,
        cmd=fast + ["-o", "{out}", "--kernels-version", "not a version"])
    add("cli_validate_tolerance_nan", "cli", 2, m=good, cmd=["validate", "{model}", "--tolerance", "nan"])
    add("cli_validate_tolerance_negative", "cli", 2, m=good, cmd=["validate", "{model}", "--tolerance=-1"])
    add("cli_validate_tolerance_infinite", "cli", 2, m=good, cmd=["validate", "{model}", "--tolerance", "inf"])
    npy = io.BytesIO()
    np.save(npy, np.arange(8, dtype=np.float32).reshape(2, 4))
    add("cli_validate_npy_wrong_shape", "cli", 2, m=good, cmd=["validate", "{model}", "--input", "x={tmp}/x.npy"],
        files={"wrong_shape_2x4.npy": npy.getvalue()}, setup={"x.npy": "copy:wrong_shape_2x4.npy"},
        note="8 values like the input, but shape (2, 4), not (1, 8)")

    # pre-quantized models (QDQ, operator form)
    def qdq(x_scale=0.05, w=None, w_scale=None, w_axis=0, out_q=False):
        w = np.array([[1, -2, 3], [4, 5, -6]], np.int8) if w is None else w
        w_scale = np.array([0.1, 0.2], np.float32) if w_scale is None else w_scale
        inits = [numpy_helper.from_array(np.array(x_scale, np.float32), "s"),
                 numpy_helper.from_array(np.array(0, np.int8), "z"),
                 numpy_helper.from_array(w, "w"), numpy_helper.from_array(w_scale, "ws"),
                 numpy_helper.from_array(np.array(0.2, np.float32), "ys")]
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="x_q"),
                 helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="x_dq"),
                 helper.make_node("DequantizeLinear", ["w", "ws"], ["wd"], name="w_dq", axis=w_axis),
                 helper.make_node("Gemm", ["xd", "wd"], ["h"], name="gemm", transB=1),
                 helper.make_node("QuantizeLinear", ["h", "ys", "z"], ["hq"], name="h_q")]
        if out_q:
            return model(nodes, [vi("x", [1, 3])], [vi("hq", [1, 2], TensorProto.INT8)], inits)
        nodes.append(helper.make_node("DequantizeLinear", ["hq", "ys", "z"], ["y"], name="h_dq"))
        return model(nodes, [vi("x", [1, 3])], [vi("y", [1, 2])], inits)
    add("qdq_int8_without_calibration", "qdq", 0, m=qdq(), cmd=COMPILE + ["--precision", "int8"],
        note="a QDQ model brings its own parameters: int8 needs no --calibration")
    add("qdq_f32", "qdq", 0, m=qdq(), note="at f32 each pair runs as float rounding")
    add("qdq_pair_zero_scale", "qdq", 2, m=qdq(x_scale=0.0))
    add("qdq_weight_scales_wrong_axis", "qdq", 2, m=qdq(w_axis=1),
        note="two scales along an axis of three")
    add("qdq_quantized_output", "qdq", 2, m=qdq(out_q=True), note="the caller would get int8: refused, named")
    qconv = model(
        [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="x_q"),
         helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["yq"], name="qconv"),
         helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="y_dq")],
        [vi("x", [1, 1, 8]), vi("xs", [])], [vi("y", [1, 2, 6])],
        [numpy_helper.from_array(np.array(0, np.int8), "xz"),
         numpy_helper.from_array(np.ones((2, 1, 3), np.int8), "w"),
         numpy_helper.from_array(np.array([0.1, 0.1], np.float32), "ws"),
         numpy_helper.from_array(np.array([0, 0], np.int8), "wz"),
         numpy_helper.from_array(np.array(0.2, np.float32), "ys"),
         numpy_helper.from_array(np.array(0, np.int8), "yz"),
         numpy_helper.from_array(np.array([1, 2], np.int32), "b")])
    add("qop_conv_scale_not_constant", "qdq", 2, m=qconv, note="the input's scale is a graph input")

    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"kinds": KINDS}, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"{len(KINDS)} kinds")


if __name__ == "__main__":
    main()
