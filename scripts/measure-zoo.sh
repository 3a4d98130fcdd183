#!/usr/bin/env bash
# Measures every zoo model (examples/models/*/*.onnx) on every microcontroller target and writes
# docs/SIZES.md: flash (code / kernels / weights) and RAM (arena / state / I/O / stack) measured from
# the linked firmware next to ecgc's estimate, and instructions per inference and per MAC on QEMU's
# Cortex-M7 at opt-level 3 and "s".
#
#   bash scripts/measure-zoo.sh            # all models, all targets (about 15 minutes on 2 cores)
#   ZOO_ONLY=ecg-cnn bash scripts/measure-zoo.sh
#
# Needs: rustup targets thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imc-unknown-none-elf,
# qemu-system-arm, python3. A model over a target's budget is measured again with that target's
# memory enlarged to QEMU's 4 MB (its row says so), so its code size and instruction count are
# still known.
set -euo pipefail
cd "$(dirname "$0")/.."
out="target/measure-zoo"
mkdir -p "$out/json" "$out/targets"
cargo build -p ecgc --quiet
ecgc="${CARGO_TARGET_DIR:-target}/debug/ecgc"
export ECGC_MEASURE_DIR="$PWD/$out/cache"

# target name, opt-level
runs=("stm32f746 3" "stm32f746 s" "nrf52840 3" "rp2040 3" "esp32c3 3")

. scripts/measure-lib.sh # enlarged, measure_one

for onnx in examples/models/*/*.onnx; do
  model="$(basename "$(dirname "$onnx")")"
  stem="$(basename "$onnx" .onnx)"
  # exports/ repeats the zoo's architectures through both torch exporters (random weights);
  # bench/ holds the benchmark's models (random weights), measured by scripts/bench-m7.sh.
  # fp16/ repeats two zoo models as float16/bfloat16 exports (tests/float16.rs), qdq/ the ECG CNN
  # pre-quantized by onnxruntime (tests/qdq.rs).
  [ "$model" = exports ] || [ "$model" = bench ] || [ "$model" = fp16 ] || [ "$model" = qdq ] && continue
  [ -n "${ZOO_ONLY:-}" ] && [ "$model" != "$ZOO_ONLY" ] && continue
  name="$(echo "zoo-$model-$stem" | tr -c 'a-zA-Z0-9\n' '_')"
  for run in "${runs[@]}"; do
    set -- $run
    target="$1" opt="$2"
    measure_one "$onnx" "$target" "$opt" "$name" "$out/json/$model--$stem--$target--o$opt.json"
  done
done
python3 scripts/sizes_md.py "$out/json" > docs/SIZES.md
echo "wrote docs/SIZES.md"
