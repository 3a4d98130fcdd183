"""Writes golden/hostile_names/: a small model whose every name is hostile to code generation.

The single input is called ``input`` (a generated crate then has both ``INPUT_SHAPE`` for the
input itself and the ``INPUT_SHAPE`` alias for "the" input: two items of one name before ecgc 6).
Outputs, initializers, intermediate tensors and nodes use Rust keywords, the names of generated
items and locals (``Model``, ``ARENA_LEN``, ``MACS``, ``k``, ``arena``, ``out``, ``i0``, ``self``),
names that collide after sanitising (``a-b`` / ``a_b`` / ``A.B``), names starting with a digit,
non-ASCII names, path-like names, a name with a backtick and the empty node name.

Deterministic (seeded numpy, fixed opset 13, pinned onnx); run with the golden venv:

    /tmp/golden-venv/bin/python golden/tools/make_hostile_names.py [--out DIR]
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NAME = "hostile_names"


def build():
    rng = np.random.default_rng(6)

    def init(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)

    inits = [
        init("k", 4),  # the generated code's alias of the kernel crate
        init("MACS", 4, 8),  # a generated constant; > 16 elements: a weight file
        init("input_shape", 4),  # sanitises to the generated INPUT_SHAPE
        init("INPUT_LEN", 1, 8),
        init("weights/../x.bin", 8, 4),  # path-like: must not become a path
        init("0.weight", 4),  # digit first
        init("fn", 1),  # keyword
        init("A.B", 4),  # collides with a-b / a_b after sanitising
    ]
    n = helper.make_node
    nodes = [
        n("Add", ["input", "k"], ["out"], name="arena"),
        n("Mul", ["out", "0.weight"], ["i1"], name=""),  # tract names it after its output
        n("MatMul", ["i1", "MACS"], ["self"], name="type"),
        n("Relu", ["self"], ["output"], name="Model"),
        n("Sub", ["input", "input_shape"], ["a-b"], name="i0"),
        n("Add", ["a-b", "A.B"], ["a_b"], name="a-b"),
        n("Tanh", ["a_b"], ["信号"], name="信号"),
        n("Concat", ["out", "a_b"], ["cat"], name="cat", axis=1),
        n("Add", ["cat", "INPUT_LEN"], ["ARENA_LEN"], name="cat_0"),
        n("MatMul", ["ARENA_LEN", "weights/../x.bin"], ["x`y"], name="cat_1"),
        n("Mul", ["x`y", "fn"], ["Self"], name="self"),
    ]
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])]
    outputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
        for name, shape in [("output", [1, 8]), ("a_b", [1, 4]), ("信号", [1, 4]), ("Self", [1, 4])]
    ]
    graph = helper.make_graph(nodes, "hostile names", inputs, outputs, initializer=inits)
    opsets = [helper.make_opsetid("", 13)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="ecgc-golden",
        producer_version="1",
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(model, full_check=True)
    x = rng.standard_normal((1, 4)).astype(np.float32)
    return model, x, sorted({node.op_type for node in nodes})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent))
    folder = Path(ap.parse_args().out) / NAME
    folder.mkdir(parents=True, exist_ok=True)
    model, x, ops = build()
    (folder / "model.onnx").write_bytes(model.SerializeToString(deterministic=True))
    np.save(folder / "input_0.npy", x, allow_pickle=False)
    description = ("Hostile names: input `input`, outputs/initializers/nodes named after Rust keywords, "
                   "generated items and locals, colliding after sanitising, digit-first, non-ASCII, empty")
    lines = [
        f"description = {json.dumps(description)}",
        "ops = [" + ", ".join(json.dumps(o) for o in ops) + "]",
        'made_by = "golden/tools/make_hostile_names.py"',
        "tolerance = 1e-05",
    ]
    (folder / "case.toml").write_text("\n".join(lines) + "\n")
    print(f"wrote {folder}")


if __name__ == "__main__":
    main()
