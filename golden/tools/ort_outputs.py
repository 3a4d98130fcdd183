#!/usr/bin/env python3
"""Runs one golden case with onnxruntime (the cross-check engine) and writes its outputs.

Usage:  python golden/tools/ort_outputs.py CASE_DIR OUT_DIR

Loads CASE_DIR/model.onnx, or the model named (relative to CASE_DIR) by CASE_DIR/model.path when that file
exists; feeds CASE_DIR/input_<k>.npy in graph-input order; writes OUT_DIR/output_<k>.npy in graph-output
order as float32 (bool outputs as 1.0/0.0). CPU provider, graph optimizations disabled, one thread.
Exits non-zero with a message on stderr on any failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


class CaseError(Exception):
    pass


def model_path(case_dir: Path) -> Path:
    pointer = case_dir / "model.path"
    if pointer.exists():
        rel = pointer.read_text().strip()
        if not rel:
            raise CaseError(f"{pointer} is empty")
        path = case_dir / rel
    else:
        path = case_dir / "model.onnx"
    if not path.is_file():
        raise CaseError(f"model not found: {path}")
    return path


def same_shape(actual, declared) -> bool:
    """Whether an array's shape matches a declared one; a symbolic (named or unknown) declared
    dimension matches any size (exports with a dynamic batch axis)."""
    declared = list(declared)
    return len(actual) == len(declared) and all(
        not isinstance(d, int) or d == a for a, d in zip(actual, declared))


def load_inputs(case_dir: Path, expected: list) -> dict[str, np.ndarray]:
    files = sorted(case_dir.glob("input_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
    if [p.name for p in files] != [f"input_{k}.npy" for k in range(len(files))]:
        raise CaseError(f"{case_dir}: input files are not input_0.npy .. input_{len(files) - 1}.npy")
    if len(files) != len(expected):
        raise CaseError(f"{case_dir}: the model has {len(expected)} input(s) but there are {len(files)} input file(s)")
    feeds = {}
    for path, arg in zip(files, expected):
        value = np.load(path, allow_pickle=False)
        if value.dtype != np.float32:
            raise CaseError(f"{path}: dtype {value.dtype}, expected float32")
        if not same_shape(value.shape, arg.shape):
            raise CaseError(f"{path}: shape {list(value.shape)} but model input '{arg.name}' has shape {arg.shape}")
        feeds[arg.name] = value
    return feeds


def run(case_dir: Path, out_dir: Path) -> list[np.ndarray]:
    import onnxruntime as ort

    path = model_path(case_dir)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise CaseError(f"onnxruntime could not load {path}: {e}") from e
    feeds = load_inputs(case_dir, session.get_inputs())
    try:
        results = session.run(None, feeds)
    except Exception as e:
        raise CaseError(f"onnxruntime failed to run {path}: {e}") from e
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for k, value in enumerate(results):
        value = np.asarray(value)
        if value.dtype == np.bool_:
            value = value.astype(np.float32)
        elif value.dtype != np.float32:
            raise CaseError(f"{path}: output {k} has dtype {value.dtype}; only float32 and bool are handled")
        declared = session.get_outputs()[k].shape
        if not same_shape(value.shape, declared):
            raise CaseError(f"{path}: output {k} has shape {list(value.shape)} but the model declares {declared}")
        value = np.array(value, dtype=np.float32, order="C")  # keeps 0-d outputs 0-d
        np.save(out_dir / f"output_{k}.npy", value, allow_pickle=False)
        outputs.append(value)
    return outputs


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: ort_outputs.py CASE_DIR OUT_DIR", file=sys.stderr)
        return 2
    try:
        run(Path(argv[0]), Path(argv[1]))
    except CaseError as e:
        print(f"ort_outputs: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # anything unexpected still gets a one-line reason and a non-zero exit
        print(f"ort_outputs: {argv[0]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
