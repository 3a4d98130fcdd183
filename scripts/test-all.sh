#!/usr/bin/env bash
# The whole test suite, installing what it needs on a fresh machine that has only the Rust
# toolchain, gcc and Python. `.ci/run` calls exactly this; README.md documents it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain: the targets' triples (Cortex-M7/M4F, Cortex-M0+, RISC-V), clippy"
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imc-unknown-none-elf >/dev/null
rustup component add clippy rustfmt >/dev/null

step "system packages: binutils-arm-none-eabi (objdump, size), qemu-system-arm (the emulated Cortex-M7)"
missing=()
command -v arm-none-eabi-objdump >/dev/null || missing+=(binutils-arm-none-eabi)
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Measurement tests fail (rather than skip) when a target or QEMU is missing.
export CI="${CI:-true}"
# Disk: a from-scratch run writes several target directories (host, thumbv7em, each target's triple,
# the generated crates' builds). Incremental caches and full debug info would double that; a CI run on
# a nearly full disk once died with "No space left on device" 95 s in. Line tables keep backtraces.
# The tests build with the workspace's `ci` profile (Cargo.toml: optimised, ecgc's debug assertions
# and overflow checks on): one optimised build of tract and the test binaries serves every step.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only ECGC_CARGO_PROFILE=ci
df -h . | tail -1 | awk '{print "disk: " $4 " free before the build"}'

step "python: onnxruntime for the golden cross-check (golden/tools/requirements.txt)"
if [ ! -x .venv-golden/bin/python ] || ! .venv-golden/bin/python -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
  python3 -m venv .venv-golden
  .venv-golden/bin/pip install -q --disable-pip-version-check -r golden/tools/requirements.txt
fi
export ECGC_PYTHON="$PWD/.venv-golden/bin/python"

step "rustfmt"
cargo fmt --all --check
for fw in examples/firmware/*/; do (cd "$fw" && cargo fmt --check); done

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "kernel crate for the Cortex-M7 target"
cargo build -p ecgc-kernels --target thumbv7em-none-eabihf --release --quiet

step "tests: unit, kernels, CLI errors, zoo models, golden cases vs tract and onnxruntime, thumbv7em builds,
  every target's triple, zoo models on the emulated Cortex-M7 (QEMU) vs host"
INT8_TABLE="$PWD/target/int8-accuracy.md" cargo test --workspace --profile ci --quiet
for t in target/firmware-work/two-models.txt target/firmware-work/zoo.txt target/firmware-work/zoo-int8.txt target/targets-work/targets.txt target/diff-fuzz-work/summary.txt; do
  if [ -f "$t" ]; then cat "$t"; fi
done

step "int8 vs f32 on the zoo's validation sets (the IR interpreter, ~850 runs; int8_accuracy above)"
cat target/int8-accuracy.md

step "firmware examples build: two models on QEMU's M7, the 32F746G-DISCOVERY on embassy"
for fw in qemu-m7 disco-f746; do
  (cd "examples/firmware/$fw" && bash models.sh && cargo build --release --quiet --target thumbv7em-none-eabihf &&
    cargo clippy --release --quiet --target thumbv7em-none-eabihf -- -D warnings)
done
echo "firmware examples ok"

step "quick start: compile an example model for stm32f746"
out="$(mktemp -d)"
cargo run -p ecgc --profile ci --quiet -- compile examples/models/ecg-cnn/model.onnx --target stm32f746 -o "$out/ecg_model"
(cd "$out/ecg_model" && cargo build --release --quiet --target thumbv7em-none-eabihf)
rm -rf "$out"
echo "quick start ok"

df -h . | tail -1 | awk '{print "disk: " $4 " free after the run"}'
