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

enlarged() { # a copy of the target with 4 MB flash and RAM (QEMU's mps2-an500 has 4 MB of each)
  local t="$1" f="$out/targets/$1-4mb.toml"
  python3 - "$t" "$f" <<'PY'
import re, sys
t, f = sys.argv[1], sys.argv[2]
s = open(f"targets/{t}.toml").read()
s = s.replace(f'name = "{t}"', f'name = "{t}-4mb"', 1)
head, _, _ = s.partition("[[memory]]")
flash = re.search(r'kind = "flash"\norigin = (0x[0-9A-Fa-f_]+)', s).group(1)
ram = re.search(r'kind = "ram"\norigin = (0x[0-9A-Fa-f_]+)', s).group(1)
head = re.sub(r"flash_bytes = [0-9_]+", "flash_bytes = 4_194_304", head)
head = re.sub(r"ram_bytes = [0-9_]+", "ram_bytes = 4_194_304", head)
open(f, "w").write(head + f'[[memory]]\nname = "FLASH"\nkind = "flash"\norigin = {flash}\nlength = 4_194_304\n\n'
                  f'[[memory]]\nname = "RAM"\nkind = "ram"\norigin = {ram}\nlength = 4_194_304\n')
PY
  echo "$f"
}

for onnx in examples/models/*/*.onnx; do
  model="$(basename "$(dirname "$onnx")")"
  stem="$(basename "$onnx" .onnx)"
  # exports/ repeats the zoo's architectures through both torch exporters (random weights).
  [ "$model" = exports ] && continue
  [ -n "${ZOO_ONLY:-}" ] && [ "$model" != "$ZOO_ONLY" ] && continue
  name="$(echo "zoo-$model-$stem" | tr -c 'a-zA-Z0-9\n' '_')"
  for run in "${runs[@]}"; do
    set -- $run
    target="$1" opt="$2"
    json="$out/json/$model--$stem--$target--o$opt.json"
    log="$out/json/$model--$stem--$target--o$opt.log"
    rm -f "$json"
    start=$(date +%s.%N)
    if "$ecgc" compile "$onnx" --target "$target" --opt-level "$opt" --name "$name" \
        -o "$out/crates/$name" --report "$json" >"$log" 2>&1; then
      status=ok
    else
      code=$?
      status="exit $code"
      if [ "$code" = 3 ]; then
        big="$(enlarged "$target")"
        "$ecgc" compile "$onnx" --target "$big" --opt-level "$opt" --name "$name" \
          -o "$out/crates/$name" --report "$json" >>"$log" 2>&1 && status="over budget" || status="over budget; exit $? with 4 MB"
      fi
    fi
    end=$(date +%s.%N)
    python3 - "$json" "$status" "$start" "$end" "$onnx" "$target" "$opt" "$log" <<'PY'
import json, os, sys
path, status, start, end, onnx, target, opt, log = sys.argv[1:]
r = json.load(open(path)) if os.path.exists(path) and status != "exit 2" else {}
r["zoo"] = {"status": status, "seconds": float(end) - float(start), "onnx": onnx, "target": target,
            "opt_level": opt, "log": open(log).read()[-2000:]}
json.dump(r, open(path, "w"), indent=1)
PY
    printf '%-45s %-10s o%s  %-22s %5.1f s\n' "$onnx" "$target" "$opt" "$status" "$(awk "BEGIN { print $end - $start }")"
  done
done
python3 scripts/sizes_md.py "$out/json" > docs/SIZES.md
echo "wrote docs/SIZES.md"
