#!/usr/bin/env bash
# The Cortex-M7 benchmark: every benchmark model (examples/models/bench/*.onnx) and every zoo model
# (examples/models/*/*.onnx except exports/) compiled for the STM32F746 at opt-level 3 and "s",
# built into ecgc's measurement firmware and run on QEMU's mps2-an500 Cortex-M7 with -icount
# (exact instruction counts). Writes one section of docs/BENCH.md: per opt-level a table of MACs,
# instructions per inference and per MAC, code bytes (kernels / model), arena bytes, next to the
# issue's onnx2c and CMSIS-DSP reference numbers.
#
#   bash scripts/bench-m7.sh                       # everything (about 10 minutes on 2 cores, cached)
#   BENCH_ONLY=cfc_ncp_step bash scripts/bench-m7.sh   # one model: a bench file stem or a zoo directory
#   BENCH_SECTION=after bash scripts/bench-m7.sh   # write the "after" section (default: "current")
#
# The JSON reports stay in target/bench-m7/<section>/json (one per model and opt-level); the
# section's tables are regenerated from every report there, so a BENCH_ONLY run updates its rows
# only. Builds are cached in target/bench-m7/cache (ECGC_MEASURE_DIR). A model over the F746's
# budget is measured with a copy of the target enlarged to QEMU's 4 MB (scripts/measure-lib.sh).
#
# Needs: rustup target thumbv7em-none-eabihf, qemu-system-arm, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
section="${BENCH_SECTION:-current}"
case "$section" in *[!a-zA-Z0-9_-]* | "") echo "BENCH_SECTION: letters, digits, - and _ only" >&2; exit 2 ;; esac
out="target/bench-m7"
json_dir="$out/$section/json"
mkdir -p "$json_dir"
cargo build -p ecgc --quiet
ecgc="${CARGO_TARGET_DIR:-target}/debug/ecgc"
export ECGC_MEASURE_DIR="$PWD/$out/cache"
. scripts/measure-lib.sh # enlarged, measure_one

models=()
for onnx in examples/models/bench/*.onnx; do models+=("$onnx"); done
for onnx in examples/models/*/*.onnx; do
  case "$onnx" in examples/models/exports/* | examples/models/bench/* | examples/models/fp16/* | examples/models/qdq/*) continue ;; esac
  models+=("$onnx")
done

ran=0
for onnx in "${models[@]}"; do
  dir="$(basename "$(dirname "$onnx")")"
  stem="$(basename "$onnx" .onnx)"
  if [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$dir" ] && [ "$BENCH_ONLY" != "$stem" ] \
      && [ "$BENCH_ONLY" != "$dir/$stem" ]; then
    continue
  fi
  name="$(echo "bench-$dir-$stem" | tr -c 'a-zA-Z0-9\n' '_')"
  for opt in 3 s; do
    measure_one "$onnx" stm32f746 "$opt" "$name" "$json_dir/$dir--$stem--o$opt.json"
    ran=$((ran + 1))
  done
done
if [ "$ran" = 0 ]; then
  echo "BENCH_ONLY=${BENCH_ONLY:-}: no such model (a file stem of examples/models/bench/ or a zoo directory)" >&2
  exit 2
fi
python3 scripts/bench_md.py "$json_dir" "$section" docs/BENCH.md
echo "wrote section '$section' of docs/BENCH.md"
