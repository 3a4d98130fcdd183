#!/usr/bin/env python3
"""Writes docs/SIZES.md (to stdout) from the JSON reports scripts/measure-zoo.sh collected."""
import glob
import json
import os
import sys

KIB = 1024.0


def kib(b):
    return "—" if b is None else f"{b / KIB:.1f}"


def load(d):
    rows = []
    for p in sorted(glob.glob(os.path.join(d, "*.json"))):
        r = json.load(open(p))
        rows.append(r)
    return rows


def name(r):
    z = r["zoo"]
    return z["onnx"].replace("examples/models/", "")


def status(r):
    s = r["zoo"]["status"]
    if s == "ok":
        return "fits"
    if s.startswith("over budget"):
        need = []
        m = r.get("measured")
        return "**over budget**" + (" (measured with 4 MB)" if m and r["target"].endswith("-4mb") else "")
    if s == "exit 2":
        log = r["zoo"]["log"].strip().splitlines()
        why = next((l.strip(" -") for l in log if l.startswith("  - ")), None)
        why = why or next((l for l in log if l.startswith("error")), s)
        return "not compiled (exit 2): " + why.replace("error: ", "").replace("|", "/")
    return s


def main():
    rows = load(sys.argv[1])
    out = []
    w = out.append
    w("# Measured sizes and instruction counts of the zoo models")
    w("")
    w("Written by `bash scripts/measure-zoo.sh` (this file is its output; do not edit). Every number")
    w("marked *measured* comes from a firmware that links the generated crate, built with `cargo build")
    w("--release` (fat LTO, one codegen unit, `panic = \"abort\"`, no `-C target-cpu`) and read with the")
    w("`object` crate; instructions are counted on QEMU 7.2's `mps2-an500` Cortex-M7 with")
    w("`-icount shift=8,sleep=off` (CMSDK timer, 6.4 ticks per instruction, checked by a calibration loop")
    w("in every run). *Estimate* is what ecgc computes from the plan without building anything.")
    w("")
    w("- Thumb targets are linked at QEMU mps2-an500's addresses (code at 0x0) with the target's own")
    w("  sizes, so one ELF is measured and run; code then differs from a build at the board's addresses")
    w("  by at most 0.25% (address materialisation; 4–44 bytes on ecg-cnn), data not at all.")
    w("- flash = vector table + `.text` + `.rodata` + `.data` image; *kernels* = functions of")
    w("  `ecgc-kernels` that survive inlining, *model* = the model crate's code (with the kernels inlined")
    w("  into it), *weights* = the `W_*` statics; the rest is core, start-up code, constants and padding.")
    w("- RAM = `.data` + `.bss` + stack high-water mark; *arena* (+ *state*) is the `Model` static,")
    w("  *I/O* the input and output buffers the caller holds (f32), *stack* the painted-stack high-water")
    w("  mark on QEMU (not measured for RISC-V, which QEMU's Arm machine cannot run).")
    w("- Over budget: the linker rejects the firmware (or the measured total exceeds the budget); such a")
    w("  model is measured again with the target's memory enlarged to 4 MB so its code size and")
    w("  instruction count are still known. Its *compile s* covers both attempts.")
    w("- *compile s*: wall time of `ecgc compile` (a debug build of ecgc, so the front end is slower than")
    w("  a release build's) including the measurement build and the QEMU run, with cached dependencies,")
    w("  on a shared 2-core machine.")
    w("- Instructions per MAC divide by the model's multiply-accumulates; for small recurrent step graphs")
    w("  most work is element-wise (sigmoid, tanh, exp, division), so the ratio is high there without")
    w("  the MACs being slow.")
    w("")
    w("## Where we stand")
    w("")
    w("(Prose written from the run committed here; the tables below are regenerated. f32 builds; int8")
    w("builds are in docs/INT8.md and docs/BENCH-INT8.md.)")
    w("On the emulated Cortex-M7 at opt-level 3 the convolution-heavy models take 1.8–2.2 instructions")
    w("per MAC in f32 (ccfc, cltc, ecg-cnn, s4d-cfc-tiny, s4d-cfc and the S4D kernel form 1.75–2.2);")
    w("step graphs and small heads, whose work is mostly element-wise (state updates, sigmoid, tanh,")
    w("exp), 3–9. Every model fits the F746 except the two whole-window S4D forms (s4d-cfc,")
    w("s4d-ecg/model_kernel: 1.25 MB arenas); CCfC and CLTC now fit in f32 (980.5 and 1014.2 KiB of")
    w("flash, 206.1 and 211.9 KiB of RAM of which 199.6 KiB is the caller's f32 input). Opt-level \"s\"")
    w("saves 4–31 KiB of code and costs 1.1–1.7× the instructions. Weights dominate flash for every")
    w("model above 20 KiB of weights.")
    w("")
    w("A full run of `bash scripts/measure-zoo.sh` regenerates every row at one commit (this one: see")
    w("the git log of this file).")
    w("")
    for title, targets in [
        ("STM32F746 (thumbv7em-none-eabihf), emulated Cortex-M7", ["stm32f746"]),
        ("Other targets (nRF52840 and RP2040 code runs on the emulated M7; ESP32-C3's RISC-V code is not run)", ["nrf52840", "rp2040", "esp32c3"]),
    ]:
        w(f"## {title}")
        w("")
        w("| model | target | opt | status | flash KiB measured: total = code (kernels / model) + weights + other | est. weights KiB | RAM KiB measured: total = arena + state + I/O + stack + other | est. RAM KiB | MACs | instructions / inference | instr / MAC | compile s |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            z = r["zoo"]
            if z["target"] not in targets:
                continue
            m = r.get("measured")
            if m:
                flash = f"{kib(m['flash_bytes'])} = {kib(m['code_bytes'])} ({kib(m['kernel_code_bytes'])} / {kib(m['model_code_bytes'])}) + {kib(m['weight_bytes'])} + {kib(m['flash_bytes'] - m['code_bytes'] - m['weight_bytes'])}"
                ram = f"{kib(m['ram_bytes'])} = {kib(m['arena_bytes'])} + {kib(m['state_bytes'])} + {kib(m['io_bytes'])} + {kib(m['stack_bytes'])} + {kib(m['ram_other_bytes'])}"
                ins = f"{m['instructions']:,}" if m.get("instructions") is not None else "not run"
                ipm = f"{m['instructions_per_mac']:.2f}" if m.get("instructions_per_mac") is not None else "—"
            else:
                flash = ram = ins = ipm = "—"
            est_w = kib(r.get("weight_bytes"))
            est_ram = kib((r["arena_bytes"] + r["state_bytes"] + r["io_bytes"]) if "arena_bytes" in r else None)
            macs = f"{r['macs']:,}" if "macs" in r else "—"
            w(f"| {name(r)} | {z['target']} | {z['opt_level']} | {status(r)} | {flash} | {est_w} | {ram} | {est_ram} | {macs} | {ins} | {ipm} | {z['seconds']:.1f} |")
        w("")
    # Soft-float cost: code of rp2040 (thumbv6m, no FPU) against stm32f746 (FPU), same model, opt 3.
    by = {(name(r), r["zoo"]["target"], r["zoo"]["opt_level"]): r for r in rows}
    w("## What soft-float costs (RP2040, Cortex-M0+, no FPU)")
    w("")
    w("On thumbv6m every f32 operation is a call into compiler-builtins' soft-float routines")
    w("(`__aeabi_fadd`, `__aeabi_fmul`, …). The Cortex-M7 executes every ARMv6-M instruction, so the")
    w("thumbv6m firmware runs on the same QEMU machine and its instruction count is exact (an M0+ takes")
    w("more cycles per instruction than an M7). Same model, opt-level 3:")
    w("")
    w("| model | code KiB, stm32f746 (FPU) | code KiB, rp2040 (soft-float) | instr / MAC, FPU | instr / MAC, soft-float | ratio |")
    w("|---|---|---|---|---|---|")
    for (n, t, o), r in sorted(by.items()):
        if t != "stm32f746" or o != "3":
            continue
        a, b = r.get("measured"), by.get((n, "rp2040", "3"), {}).get("measured")
        if a and b:
            pa, pb = a.get("instructions_per_mac"), b.get("instructions_per_mac")
            ratio = f"{pb / pa:.1f}×" if pa and pb else "—"
            fa = f"{pa:.2f}" if pa else "—"
            fb = f"{pb:.2f}" if pb else "—"
            w(f"| {n} | {kib(a['code_bytes'])} | {kib(b['code_bytes'])} | {fa} | {fb} | {ratio} |")
    w("")
    print("\n".join(out))


main()
