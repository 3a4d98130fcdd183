#!/usr/bin/env python3
"""Writes one section of docs/BENCH.md from the JSON reports scripts/bench-m7.sh collected.

    python3 scripts/bench_md.py JSON_DIR SECTION docs/BENCH.md

The section is the text between ``<!-- bench-m7:SECTION:begin -->`` and
``<!-- bench-m7:SECTION:end -->``; it is replaced, the rest of the file is kept (hand-written
method, references, host numbers, other sections). A missing section is appended at the end.
"""
import datetime
import glob
import json
import os
import re
import subprocess
import sys

# Issue 9's table, measured by the issue's author with the same method (QEMU mps2-an500 Cortex-M7,
# -icount, exact instruction counts; cargo release opt-level 3, fat LTO): ecgc as it was then, and
# onnx2c's generated C built with gcc -O2, on the same architectures (their own exports).
ISSUE = {
    "bench/cfc_ncp_step.onnx": {"ecgc": 71_988, "onnx2c": 24_862},
    "bench/cfc_ncp_unrolled8.onnx": {"ecgc": 797_922, "onnx2c": 201_876},
    "bench/s4d_layer_step.onnx": {"ecgc": 562_578, "onnx2c": 462_322},
    "bench/ccfc_step.onnx": {"ecgc": 7_940_842, "onnx2c": 59_928_956},
    "s4d-ecg/model.onnx": {"ecgc": 2_348_928},
    "ecg-cnn/model.onnx": {"ecgc": 390_292},
}
# CMSIS-DSP (gcc -O2) on the same emulated M7, instructions per MAC (the issue's author).
CMSIS = {
    "bench/matvec_256x128.onnx": ("arm_mat_vec_mult_f32", 2.79),
    "bench/matvec_20x75.onnx": ("arm_mat_vec_mult_f32", 2.79),
    "bench/fir64_depthwise.onnx": ("arm_fir_f32, 64 taps", 1.68),
}
# The issue's goals: (kind, opt-level 3 bound, opt-level s bound or None).
GOALS = {
    "bench/cfc_ncp_step.onnx": ("onnx2c", 0.5, None),
    "bench/cfc_ncp_unrolled8.onnx": ("onnx2c", 0.5, None),
    "bench/s4d_layer_step.onnx": ("onnx2c", 0.5, None),
    "bench/ccfc_step.onnx": ("onnx2c", 0.5, None),
    "bench/matvec_256x128.onnx": ("per_mac", 2.0, 2.5),
    "bench/matvec_20x75.onnx": ("per_mac", 2.0, 2.5),
    "bench/fir64_depthwise.onnx": ("per_mac", 1.6, 2.5),
    "bench/conv_ecg_cnn_layer.onnx": ("per_mac", 1.6, 2.5),
    "s4d-ecg/model.onnx": ("instructions", 350_000, None),
}


def n(x):
    return "—" if x is None else f"{x:,}"


def name(r):
    return r["zoo"]["onnx"].replace("examples/models/", "")


def order(r):
    m = name(r)
    return (0 if m.startswith("bench/") else 1, BENCH_ORDER.index(m) if m in BENCH_ORDER else 0, m)


BENCH_ORDER = [f"bench/{s}.onnx" for s in ("cfc_ncp_step", "cfc_ncp_unrolled8", "s4d_layer_step", "ccfc_step",
                                            "matvec_256x128", "matvec_20x75", "fir64_depthwise",
                                            "conv_ecg_cnn_layer")]


def status(r):
    s = r["zoo"]["status"]
    if s == "ok":
        return "fits"
    if s == "over budget":
        return "over budget, measured with 4 MB"
    log = r["zoo"]["log"].strip().splitlines()
    why = next((ln.strip(" -") for ln in log if ln.startswith("  - ")), None)
    why = why or next((ln for ln in log if ln.startswith("error")), s)
    return f"not measured ({s}): " + why.replace("error: ", "").replace("|", "/")


def goal_cells(m, opt, instr, per_mac):
    """(reference, ecgc / reference, goal, met) cells."""
    ref, ratio, goal, met = "", "", "", ""
    issue = ISSUE.get(m, {})
    if "onnx2c" in issue:
        ref = f"onnx2c {issue['onnx2c']:,}"
        if instr:
            ratio = f"{instr / issue['onnx2c']:.2f}×"
    elif m in CMSIS:
        what, v = CMSIS[m]
        ref = f"CMSIS-DSP {v}/MAC"
        if per_mac:
            ratio = f"{per_mac / v:.2f}×"
    g = GOALS.get(m)
    if g:
        kind, o3, os_ = g
        bound = o3 if opt == "3" else os_
        if bound is not None:
            if kind == "onnx2c":
                goal = f"≤ {bound}× onnx2c"
                ok = instr and instr <= bound * issue["onnx2c"]
            elif kind == "per_mac":
                goal = f"≤ {bound}/MAC"
                ok = per_mac and per_mac <= bound
            else:
                goal = f"≤ {bound:,}"
                ok = instr and instr <= bound
            met = "yes" if ok else "no"
    return ref, ratio, goal, met


def table(rows, opt):
    out = [
        "| model | MACs | instructions | instr / MAC | issue's ecgc | reference (gcc -O2) | ecgc / ref | goal | met "
        "| code B (kernels / model) | arena B (+ state) | status |",
        "|---|---:|---:|---:|---:|---|---:|---|---|---:|---:|---|",
    ]
    for r in rows:
        m = name(r)
        me = r.get("measured") or {}
        instr = me.get("instructions")
        per_mac = me.get("instructions_per_mac")
        ref, ratio, goal, met = goal_cells(m, opt, instr, per_mac)
        issue = ISSUE.get(m, {}).get("ecgc") if opt == "3" else None  # the issue measured opt-level 3
        code = (f"{n(me.get('code_bytes'))} ({n(me.get('kernel_code_bytes'))} / {n(me.get('model_code_bytes'))})"
                if me else "—")
        arena = f"{n(me.get('arena_bytes'))} (+ {n(me.get('state_bytes'))})" if me else "—"
        out.append(
            f"| {m} | {n(r.get('macs'))} | {n(instr)} | {'—' if per_mac is None else f'{per_mac:.2f}'} "
            f"| {n(issue) if issue else ''} | {ref} | {ratio} | {goal} | {met} | {code} | {arena} | {status(r)} |")
    return "\n".join(out)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def section(json_dir, sec):
    rows = sorted((json.load(open(p)) for p in glob.glob(os.path.join(json_dir, "*.json"))), key=order)
    when = max((os.path.getmtime(p) for p in glob.glob(os.path.join(json_dir, "*.json"))), default=0)
    date = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = sh(["git", "rev-parse", "--short", "HEAD"])
    # what is measured: the compiler, the kernels, the target files (not scripts or docs)
    code = ["compiler/src", "runtime-kernels", "targets"]
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", *code]).returncode != 0
    commit += f" ({', '.join(code)} {'MODIFIED' if dirty else 'as committed'})"
    seconds = sum(r["zoo"]["seconds"] for r in rows)
    lines = [
        f"Measured {date} (last report written) at commit {commit} by "
        f"`BENCH_SECTION={sec} bash scripts/bench-m7.sh`; {sh(['rustc', '-V'])}; "
        f"{sh(['qemu-system-arm', '--version'])}; target stm32f746 (thumbv7em-none-eabihf); "
        f"{len(rows)} reports, {seconds / 60:.0f} min of `ecgc compile` wall time on a shared 2-core machine.",
        "",
    ]
    for opt in ("3", "s"):
        lines += [f"### opt-level {opt if opt == '3' else chr(34) + opt + chr(34)}", ""]
        lines += [table([r for r in rows if r["zoo"]["opt_level"] == opt], opt), ""]
    return "\n".join(lines)


def main():
    json_dir, sec, doc = sys.argv[1:4]
    begin, end = f"<!-- bench-m7:{sec}:begin -->", f"<!-- bench-m7:{sec}:end -->"
    text = open(doc).read() if os.path.exists(doc) else "# Cortex-M7 benchmark\n"
    body = f"{begin}\n{section(json_dir, sec)}\n{end}"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: body, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n## Results: {sec}\n\n{body}\n"
    with open(doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
