#!/usr/bin/env bash
# The whole test suite, installing what it needs on a fresh machine that has only the Rust
# toolchain, gcc and Python. `.ci/run` calls exactly this; README.md documents it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain: thumbv7em, thumbv6m and riscv32imc targets (measured sizes per target), clippy"
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imc-unknown-none-elf >/dev/null
rustup component add clippy rustfmt >/dev/null

step "system packages: binutils-arm-none-eabi (objdump for the no-f64 check), qemu-system-arm (measured instructions)"
if ! command -v arm-none-eabi-objdump >/dev/null || ! command -v qemu-system-arm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq binutils-arm-none-eabi qemu-system-arm >/dev/null
fi
# Measurement tests fail (rather than skip) when a target or QEMU is missing.
export CI="${CI:-true}"

step "python: onnxruntime for the golden cross-check (golden/tools/requirements.txt)"
if [ ! -x .venv-golden/bin/python ] || ! .venv-golden/bin/python -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
  python3 -m venv .venv-golden
  .venv-golden/bin/pip install -q --disable-pip-version-check -r golden/tools/requirements.txt
fi
export ECGC_PYTHON="$PWD/.venv-golden/bin/python"

step "rustfmt"
cargo fmt --all --check

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "kernel crate for the Cortex-M7 target"
cargo build -p ecgc-kernels --target thumbv7em-none-eabihf --release --quiet

step "tests: unit, kernels, CLI errors, zoo models, golden cases vs tract and onnxruntime, thumbv7em builds"
cargo test --workspace --quiet

step "quick start: compile an example model for stm32f746"
out="$(mktemp -d)"
cargo run -p ecgc --quiet -- compile examples/models/ecg-cnn/model.onnx --target stm32f746 -o "$out/ecg_model"
(cd "$out/ecg_model" && cargo build --release --quiet --target thumbv7em-none-eabihf)
rm -rf "$out"
echo "quick start ok"
