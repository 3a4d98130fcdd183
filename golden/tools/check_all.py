#!/usr/bin/env python3
"""Sanity check: runs ort_outputs.py on every golden case into a temp dir, one line per case.

Usage:  python golden/tools/check_all.py [--compare ROOT] [CASE ...]

With --compare ROOT, also compares against ROOT/<case>/output_<k>.npy (e.g. outputs written by another
engine) using the case's tolerance: max|other - ort| <= tolerance * max(1, |ort|).
Exits non-zero if any case fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parent
GOLDEN = TOOLS.parent


def cases(names: list[str]) -> list[Path]:
    found = sorted(p.parent for p in GOLDEN.glob("*/case.toml"))
    if names:
        found = [p for p in found if p.name in names]
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", type=Path, help="root of other outputs to compare with")
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args(argv)
    failed = 0
    selected = cases(args.cases)
    with tempfile.TemporaryDirectory(prefix="golden-ort-") as tmp:
        for case in selected:
            meta = tomllib.loads((case / "case.toml").read_text())
            out = Path(tmp) / case.name
            proc = subprocess.run([sys.executable, str(TOOLS / "ort_outputs.py"), str(case), str(out)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                failed += 1
                print(f"FAIL {case.name}: {proc.stderr.strip()}")
                continue
            outs = sorted(out.glob("output_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
            arrays = [np.load(p) for p in outs]
            shapes = " ".join("x".join(map(str, a.shape)) or "scalar" for a in arrays)
            line = f"ok   {case.name}: {len(arrays)} output(s) {shapes}"
            if not all(np.isfinite(a).all() for a in arrays):
                failed += 1
                line = f"FAIL {case.name}: non-finite output"
            elif args.compare is not None:
                tol = float(meta.get("tolerance", 1e-5))
                worst = 0.0
                for k, ref in enumerate(arrays):
                    other_path = args.compare / case.name / f"output_{k}.npy"
                    if not other_path.exists():
                        worst = float("inf")
                        break
                    other = np.load(other_path)
                    if other.shape != ref.shape:
                        worst = float("inf")
                        break
                    err = np.abs(other.astype(np.float64) - ref) / np.maximum(1.0, np.abs(ref))
                    worst = max(worst, float(err.max()) if err.size else 0.0)
                verdict = "ok  " if worst <= tol else "FAIL"
                if worst > tol:
                    failed += 1
                line = f"{verdict} {case.name}: {len(arrays)} output(s) {shapes}; scaled diff {worst:.2e} (tol {tol:g})"
            print(line)
    print(f"{len(selected) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
