"""Determinism, ONNX export and export verification shared by every model of the zoo.

Conventions checked here (see ../README.md):
* static shapes only, opset 13 unless a model needs more, each ``.onnx`` at most 2 MB;
* for every ``F.onnx`` a ``F.check.npz`` with one exact run: arrays named by the graph's input names
  (shaped exactly as the graph inputs) and by its output names (PyTorch's outputs);
* onnxruntime must reproduce PyTorch's outputs within 1e-4 (max abs), else the script fails.

All ``.npz`` files are written with a fixed zip timestamp so that a rerun is byte-identical
(``numpy.savez`` stamps the current time into the archive).
"""
from __future__ import annotations

import collections
import io
import os
import random
import zipfile

import numpy as np

MAX_ONNX_BYTES = 2 * 1024 * 1024
TOLERANCE = 1e-4
OPSET = 13


def setup_determinism(seed: int = 0) -> None:
    """Single thread, deterministic kernels, seeded torch / numpy / random."""
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def save_npz(path: str, **arrays: np.ndarray) -> None:
    """Like ``np.savez`` (stored, not compressed) but byte-reproducible: fixed entry order and a
    fixed 1980-01-01 timestamp on every member."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in arrays:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def export_onnx(module, args: tuple, path: str, input_names: list[str], output_names: list[str],
                opset: int = OPSET) -> None:
    """``torch.onnx.export`` with static shapes (no dynamic axes), constant folding, eval mode."""
    import onnx
    import torch

    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          opset_version=opset, do_constant_folding=True, dynamic_axes=None,
                          training=torch.onnx.TrainingMode.EVAL)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert_static(model)
    size = os.path.getsize(path)
    assert size <= MAX_ONNX_BYTES, f"{path}: {size} bytes > 2 MB"


def graph_io(model) -> tuple[list[tuple[str, list[int]]], list[tuple[str, list[int]]]]:
    """(name, static shape) of the real graph inputs (initializers excluded) and of the outputs."""
    inits = {i.name for i in model.graph.initializer}

    def shape(v):
        return [d.dim_value if d.HasField("dim_value") else -1 for d in v.type.tensor_type.shape.dim]

    ins = [(v.name, shape(v)) for v in model.graph.input if v.name not in inits]
    outs = [(v.name, shape(v)) for v in model.graph.output]
    return ins, outs


def assert_static(model) -> None:
    ins, outs = graph_io(model)
    for name, shp in ins + outs:
        assert all(d > 0 for d in shp), f"dynamic or unknown dimension in {name}: {shp}"


def check_export(path: str, inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray],
                 tolerance: float = TOLERANCE) -> float:
    """Run ``path`` in onnxruntime on ``inputs``, compare with ``expected`` (PyTorch's outputs),
    fail above ``tolerance``, then write ``<path without .onnx>.check.npz``. Returns max |err|."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    ins, outs = graph_io(model)
    assert [n for n, _ in ins] == list(inputs), (path, [n for n, _ in ins], list(inputs))
    assert [n for n, _ in outs] == list(expected), (path, [n for n, _ in outs], list(expected))
    for name, shp in ins:
        a = inputs[name]
        assert list(a.shape) == shp and a.dtype == np.float32, (path, name, a.shape, a.dtype, shp)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    got = sess.run(list(expected), dict(inputs))
    err = 0.0
    for (name, shp), g in zip(outs, got):
        e = np.asarray(expected[name], dtype=np.float32)
        assert list(e.shape) == shp == list(g.shape), (path, name, e.shape, g.shape, shp)
        err = max(err, float(np.max(np.abs(g - e))))
    if not err <= tolerance:
        raise SystemExit(f"FAIL {path}: onnxruntime vs PyTorch max |err| = {err:.3g} > {tolerance}")
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in inputs.items()}
    arrays.update({k: np.asarray(v, dtype=np.float32) for k, v in expected.items()})
    save_npz(path[: -len(".onnx")] + ".check.npz", **arrays)
    print(f"  {os.path.basename(path)}: onnxruntime vs PyTorch max |err| = {err:.2e}")
    return err


def op_counts(path_or_model) -> collections.Counter:
    """ONNX op types, counting nodes inside subgraphs (Scan/Loop/If bodies) too."""
    import onnx

    model = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
    counts: collections.Counter = collections.Counter()

    def walk(graph):
        for node in graph.node:
            counts[node.op_type] += 1
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return counts


def describe(path: str) -> dict:
    """Size, node count, op histogram, inputs and outputs of one exported file (for model cards)."""
    import onnx

    model = onnx.load(path)
    ins, outs = graph_io(model)
    counts = op_counts(model)
    return {
        "file": os.path.basename(path),
        "bytes": os.path.getsize(path),
        "nodes": sum(counts.values()),
        "ops": dict(sorted(counts.items())),
        "inputs": ins,
        "outputs": outs,
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
    }


def ops_line(desc: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in desc["ops"].items())


def io_line(pairs) -> str:
    return ", ".join(f"`{n}` {list(s)}" for n, s in pairs)
