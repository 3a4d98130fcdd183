#!/usr/bin/env bash
# The int8 side of the Cortex-M7 benchmark: every zoo model that has a calibration set for its
# main model.onnx, at --precision int8 with that set, and the pre-quantized models of
# examples/models/qdq/ (their own parameters), compiled for the STM32F746 at opt-level 3 and "s"
# and measured on QEMU's mps2-an500 Cortex-M7 like scripts/bench-m7.sh. The JSON reports go to
# target/bench-m7/int8/json: the data scripts/calibrate-cost.py fits the int8 cost terms on
# (`--only q8_,quantize_`, the f32 coefficients held).
#
#   bash scripts/bench-m7-int8.sh                    # about 10 minutes on 2 cores
#   python3 scripts/calibrate-cost.py target/bench-m7/int8/json --only q8_,quantize_
#
# Needs: rustup target thumbv7em-none-eabihf, qemu-system-arm, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
out="target/bench-m7"
json_dir="$out/int8/json"
mkdir -p "$json_dir"
# the ci profile (optimised): calibration runs ecgc's interpreter over every sample
cargo build -p ecgc --profile ci --quiet
ecgc="${CARGO_TARGET_DIR:-target}/ci/ecgc"
export ECGC_MEASURE_DIR="$PWD/$out/cache"
. scripts/measure-lib.sh # enlarged, measure_one

for onnx in examples/models/*/model.onnx examples/models/qdq/*.onnx; do
  dir="$(basename "$(dirname "$onnx")")"
  stem="$(basename "$onnx" .onnx)"
  case "$dir" in exports | bench | fp16) continue ;; esac
  args=(--precision int8)
  if [ "$dir" != qdq ]; then
    cal="examples/models/$dir/calibration.npz"
    [ -f "$cal" ] || continue
    # only a calibration set made for this model's inputs (s4d-ecg's is for its window model)
    "$ecgc" compile "$onnx" --target host --precision int8 --calibration "$cal" --no-measure \
      -o "$out/crates/probe-$dir" --force >/dev/null 2>&1 || { echo "$onnx: calibration set does not fit, skipped"; continue; }
    args+=(--calibration "$cal")
  fi
  name="$(echo "bench-int8-$dir-$stem" | tr -c 'a-zA-Z0-9\n' '_')"
  for opt in 3 s; do
    measure_one "$onnx" stm32f746 "$opt" "$name" "$json_dir/$dir--$stem--o$opt.json" "${args[@]}"
  done
done
