#!/usr/bin/env python3
"""Calibrates the report's per-kernel cost model on measured instruction counts.

Reads the JSON reports `scripts/bench-m7.sh` keeps (`ecgc compile --report`, measured on QEMU's
Cortex-M7: every bench and zoo model at opt-level 3 and "s"), takes each model's work terms from
the report (`cost_terms`; recomputed with `ecgc compile --no-measure` for reports written before
the cost model existed), fits per opt-level non-negative coefficients (instructions per unit)
that minimise the worst relative error over the models, and rewrites the `[cost]` block of the
target file (between its `# cost-model:begin` / `# cost-model:end` lines) and the fit table of
docs/BENCH.md (between `<!-- cost-fit:begin -->` / `<!-- cost-fit:end -->`).

    BENCH_SECTION=after bash scripts/bench-m7.sh                 # measure (~20 min on 2 cores)
    python3 scripts/calibrate-cost.py target/bench-m7/after/json # fit and rewrite (~1 min)
    python3 scripts/calibrate-cost.py DIR --check                # only report the errors (exit 1 over ±25%)
    python3 scripts/calibrate-cost.py DIR --hold dense_vfp_,ssm_ # keep the per-kernel counts of these terms

Then rebuild ecgc (the target files are compiled into it) and run
`cargo test -p ecgc --test firmware_qemu` (checks every zoo model's estimate within ±25%).

Fit: relative residuals r_i = (estimate_i − measured_i) / measured_i; non-negative least squares
on weighted residuals, reweighted by Lawson's rule (w_i ← w_i·|r_i|) towards the minimax
solution, keeping the iterate with the smallest worst error. Each coefficient is pulled weakly
towards its current value (ridge 1e-3 relative, --ridge), so a term no model exercises keeps its value
and a term few models exercise stays near it. Python 3 standard library only.
"""

import argparse
import datetime
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 0.25
RIDGE = 1e-3


def load_rows(dirs, ecgc, target):
    """(name, opt-level, measured instructions, terms) per measured report."""
    rows = []
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.json"))):
            r = json.load(open(path))
            m = r.get("measured") or {}
            n = m.get("instructions")
            if not n:
                continue
            opt = m.get("opt_level") or r.get("zoo", {}).get("opt_level")
            terms = r.get("cost_terms")
            onnx = r.get("zoo", {}).get("onnx") or r.get("model")
            if terms is None:
                terms = recompute(ecgc, onnx, opt, target)
            name = (onnx or os.path.basename(path)).replace("examples/models/", "")
            rows.append((name, opt, int(n), {k: float(v) for k, v in terms.items()}))
    return rows


def recompute(ecgc, onnx, opt, target):
    """The cost terms of a model as the current ecgc counts them (no measurement)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        cmd = [ecgc, "compile", onnx, "--target", target, "--no-measure", "--opt-level", opt,
               "-o", os.path.join(tmp, "crate"), "--report", out]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if not os.path.exists(out):
            sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
        return json.load(open(out))["cost_terms"]


def nnls(a, b, z, sweeps):
    """min ||a z − b||² over z ≥ 0 by cyclic coordinate descent from `z` (small dense problems)."""
    n = len(z)
    h = [[sum(r[i] * r[j] for r in a) for j in range(n)] for i in range(n)]
    g = [sum(r[i] * bi for r, bi in zip(a, b)) for i in range(n)]
    for _ in range(sweeps):
        moved = 0.0
        for j in range(n):
            if h[j][j] <= 0:
                continue
            grad = sum(h[j][k] * z[k] for k in range(n)) - g[j]
            new = max(0.0, z[j] - grad / h[j][j])
            moved = max(moved, abs(new - z[j]))
            z[j] = new
        if moved < 1e-9:
            break
    return z


def fit(rows, names, prior, ridge, held=()):
    """Coefficients per term (instructions per unit) for one opt-level, and the residuals. Terms in
    `held` keep their prior value: their share of each count is subtracted first."""
    held_all = set(held)
    fixed = [sum(prior[t] * x for t, x in row[3].items() if t in held_all) / row[2] for row in rows]
    free = [t for t in names if t not in held_all]
    coef, res = fit_free(rows, free, prior, ridge, fixed)
    coef.update({t: prior[t] for t in names if t in held_all})
    return coef, res


def fit_free(rows, names, prior, ridge, fixed):
    """`fit` over the terms `names`, each row's target being 1 − its `fixed` share."""
    # Unknowns z_j = c_j / prior_j, so every column is O(1).
    scale = [prior[t] if prior[t] > 0 else 1.0 for t in names]
    base = [[row[3].get(t, 0.0) * s / row[2] for t, s in zip(names, scale)] for row in rows]
    w = [1.0 / len(rows)] * len(rows)
    z = [1.0] * len(names)
    best = None
    for it in range(60):
        a, b = [], []
        for wi, r, f in zip(w, base, fixed):
            sw = math.sqrt(wi)
            a.append([sw * x for x in r])
            b.append(sw * (1.0 - f))
        for j in range(len(names)):
            a.append([math.sqrt(ridge) if k == j else 0.0 for k in range(len(names))])
            b.append(math.sqrt(ridge) * (prior[names[j]] / scale[j]))
        z = nnls(a, b, z, 400 if it else 4000)
        res = [sum(x * zj for x, zj in zip(r, z)) + f - 1.0 for r, f in zip(base, fixed)]
        worst = max(abs(x) for x in res)
        if best is None or worst < best[0]:
            best = (worst, list(z), res)
        w = [wi * max(abs(x), 1e-6) for wi, x in zip(w, res)]
        total = sum(w)
        w = [x / total for x in w]
    worst, z, res = best
    return {t: zj * s for t, zj, s in zip(names, z, scale)}, res


def read_table(path):
    """The target file's text and its current `[cost]` coefficients per opt-level."""
    text = open(path).read()
    if "# cost-model:begin" not in text or "# cost-model:end" not in text:
        sys.exit(f"{path}: no '# cost-model:begin' / '# cost-model:end' block")
    block = text.split("# cost-model:begin", 1)[1].split("# cost-model:end", 1)[0]
    tables, level, cpi = {}, None, "1.0"
    for line in block.splitlines():
        m = re.match(r"\[cost\.opt-level\.([A-Za-z0-9]+)\]", line)
        if m:
            level = m.group(1)
            tables[level] = {}
            continue
        m = re.match(r"(\w+)\s*=\s*([0-9.eE+-]+)\s*$", line)
        if m and level:
            tables[level][m.group(1)] = float(m.group(2))
        elif m and m.group(1) == "cycles_per_instruction":
            cpi = m.group(2)
    return text, tables, cpi


def write_table(path, text, tables, cpi, calibrated):
    head, rest = text.split("# cost-model:begin", 1)
    _, tail = rest.split("# cost-model:end", 1)
    out = ["# cost-model:begin (written by scripts/calibrate-cost.py; edit the comments in the script)",
           "# Cost model (compiler/src/report/cost.rs): the report's estimate is Σ coefficient × count over",
           "# each node's work terms (Dense MACs per tile width, conv MACs per path, fused element steps by",
           "# kind, copied elements, …; `ecgc compile --report` lists every node's terms). Coefficients are",
           "# instructions per unit on QEMU's Cortex-M7, per cargo opt-level, fitted by",
           "# scripts/calibrate-cost.py on the counts of scripts/bench-m7.sh (docs/BENCH.md, \"Cost model\").",
           "# An opt-level without a table (0, 1, 2, z) gets the uncalibrated MACs × cycles_per_mac_f32.",
           "[cost]",
           f"calibrated = {json.dumps(calibrated, ensure_ascii=False)}",
           "# QEMU counts instructions, not cycles: the M7 issues up to 2 per cycle but waits on flash and",
           "# divides slowly. 1.0 is an assumption, not a measurement.",
           f"cycles_per_instruction = {cpi}", ""]
    for level in sorted(tables, key=lambda s: (not s.isdigit(), s)):
        out.append(f"[cost.opt-level.{level}]")
        for t, v in tables[level].items():
            out.append(f"{t} = {v:.4f}")
        out.append("")
    open(path, "w").write(head + "\n".join(out) + "# cost-model:end" + tail)


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", default=[os.path.join(ROOT, "target/bench-m7/current/json")],
                    help="directories of measured JSON reports (default: target/bench-m7/current/json)")
    ap.add_argument("--target", default="stm32f746", help="target name (targets/NAME.toml)")
    ap.add_argument("--ecgc", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                                   "debug/ecgc"), help="ecgc binary (for old reports)")
    ap.add_argument("--ridge", type=float, default=RIDGE,
                    help=f"weight pulling each coefficient towards its current value (default {RIDGE})")
    ap.add_argument("--loo", action="store_true",
                    help="also fit once per model without it and report its error (how well the model "
                         "predicts a model it was not fitted on; ~20 s per model)")
    ap.add_argument("--check", action="store_true", help="report the current table's errors; change nothing")
    ap.add_argument("--only", default="",
                    help="comma-separated term-name prefixes: fit only those terms, hold the others at their "
                         "current values (the int8 terms on scripts/bench-m7-int8.sh's builds: q8_,quantize_); "
                         "the fit table then goes between <!-- cost-fit-int8:begin/end --> of --doc")
    ap.add_argument("--hold", default="",
                    help="comma-separated term-name prefixes held at their current values, not fitted (terms "
                         "measured kernel by kernel: the Arm FPU forms dense_vfp_,ssm_ from q8-bench, which "
                         "every S4D step model uses in the same proportion, so a fit cannot tell them apart)")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs/BENCH.md"), help="markdown file with the fit table")
    a = ap.parse_args()
    only = [p for p in a.only.split(",") if p]
    hold = [p for p in a.hold.split(",") if p]
    if only and a.doc == os.path.join(ROOT, "docs/BENCH.md"):
        a.doc = os.path.join(ROOT, "docs/BENCH-INT8.md")
    path = os.path.join(ROOT, "targets", a.target + ".toml")
    text, tables, cpi = read_table(path)
    rows = load_rows(a.dirs, a.ecgc, a.target)
    if not rows:
        sys.exit(f"no measured reports in {', '.join(a.dirs)} (run scripts/bench-m7.sh first)")
    levels = sorted({r[1] for r in rows}, key=lambda s: (not s.isdigit(), s))
    report, worst_by_level = [], {}
    for level in levels:
        data = [r for r in rows if r[1] == level]
        prior = dict(tables.get(level) or tables.get("3") or {})
        names = sorted(set(prior) | {t for r in data for t in r[3]})
        for t in names:
            prior.setdefault(t, 10.0)  # a term new to the table: a first guess, fitted if measured
        if a.check:
            coef = prior
            res = [sum(coef[t] * x for t, x in r[3].items()) / r[2] - 1.0 for r in data]
        else:
            held = [t for t in names if (only and not any(t.startswith(p) for p in only))
                    or any(t.startswith(p) for p in hold)]
            coef, res = fit(data, names, prior, a.ridge, held)
            tables[level] = {t: coef[t] for t in names}
        worst_by_level[level] = max(abs(x) for x in res)
        if a.loo and not a.check:
            loo = []
            for i, r in enumerate(data):
                c, _ = fit(data[:i] + data[i + 1:], names, prior, a.ridge, held)
                loo.append((r[0], sum(c[t] * x for t, x in r[3].items()) / r[2] - 1.0))
            print(f"opt-level {level}, leave-one-out errors: "
                  + ", ".join(f"{n} {100 * e:+.0f}%" for n, e in loo)
                  + f"; worst {100 * max(abs(e) for _, e in loo):.0f}%")
        for r, x in zip(data, res):
            report.append((level, r[0], r[2], round(r[2] * (1 + x)), x))
    lines = ["| opt-level | model | measured instr | estimated | error |", "|---|---|---:|---:|---:|"]
    for level, name, meas, est, err in report:
        flag = " **over ±25%**" if abs(err) > TOLERANCE else ""
        lines.append(f"| {level} | {name} | {meas:,} | {est:,} | {100 * err:+.1f}%{flag} |")
    table = "\n".join(lines)
    print(table)
    for level in levels:
        print(f"opt-level {level}: worst relative error {100 * worst_by_level[level]:.1f}% over "
              f"{sum(1 for r in rows if r[1] == level)} models")
    if not a.check:
        commit = git("rev-parse", "--short", "HEAD") or "?"
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        errs = ", ".join(f"opt-level {lv} ±{100 * worst_by_level[lv]:.0f}%" for lv in levels)
        newest = max(os.path.getmtime(p) for d in a.dirs for p in glob.glob(os.path.join(d, "*.json")))
        measured = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        held_note = f" ({', '.join(p + '*' for p in hold)} held at per-kernel counts)" if hold else ""
        calibrated = (f"calibrated on QEMU mps2-an500 -icount counts of {len(rows)} builds measured by "
                      f"scripts/bench-m7.sh until {measured}, fitted at commit {commit} on {date}{held_note}; "
                      f"worst fit error {errs}")
        if only:
            # the f32 fit's sentence stays; the int8 one replaces an earlier int8 one
            old = re.search(r'calibrated = "(.*)"', text).group(1).split("; int8 terms")[0]
            calibrated = (f"{old}; int8 terms ({', '.join(p + '*' for p in only)}) fitted with the others held on "
                          f"{len(rows)} int8 builds of scripts/bench-m7-int8.sh measured until {measured}, at "
                          f"commit {commit} on {date}, worst fit error {errs}")
        write_table(path, text, tables, cpi, calibrated)
        print(f"wrote {os.path.relpath(path, ROOT)}: {calibrated}")
        doc = open(a.doc).read() if os.path.exists(a.doc) else ""
        marker = "cost-fit-int8" if only else "cost-fit"
        if f"<!-- {marker}:begin -->" in doc:
            pre, rest = doc.split(f"<!-- {marker}:begin -->", 1)
            _, post = rest.split(f"<!-- {marker}:end -->", 1)
            coef_lines = ["| term | " + " | ".join(f"opt-level {lv}" for lv in levels) + " |",
                          "|---|" + "---:|" * len(levels)]
            shown = sorted({t for lv in levels for t in tables[lv] if not only or any(t.startswith(p) for p in only)})
            for t in shown:
                coef_lines.append(f"| `{t}` | " + " | ".join(f"{tables[lv].get(t, 0):.3f}" for lv in levels) + " |")
            body = (f"\n{calibrated[0].upper() + calibrated[1:]}.\n\nCoefficients (instructions per unit):\n\n"
                    + "\n".join(coef_lines) + "\n\nPer model:\n\n" + table + "\n")
            open(a.doc, "w").write(pre + f"<!-- {marker}:begin -->" + body + f"<!-- {marker}:end -->" + post)
            print(f"wrote the fit table in {os.path.relpath(a.doc, ROOT)}")
    over = [r for r in report if abs(r[4]) > TOLERANCE]
    if over:
        print(f"{len(over)} estimates outside ±{100 * TOLERANCE:.0f}% of the measured count", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
