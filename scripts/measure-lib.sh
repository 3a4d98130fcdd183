# Shared by scripts/measure-zoo.sh and scripts/bench-m7.sh (source it; it defines functions only):
# one `ecgc compile --report` of a model for a target and opt-level, retried with the target's
# memory enlarged to QEMU's 4 MB when the model is over budget (exit 3), and the JSON report
# annotated with how it went (key "zoo": status, seconds, onnx, target, opt_level, log tail).
#
# Needs: $ecgc (the ecgc binary), $out (a work directory; enlarged targets go to $out/targets),
# python3, and the caller's working directory at the repository root.

enlarged() { # a copy of the target with 4 MB flash and RAM (QEMU's mps2-an500 has 4 MB of each)
  local t="$1" f="$out/targets/$1-4mb.toml"
  mkdir -p "$out/targets"
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

# measure_one ONNX TARGET OPT CRATE_NAME JSON [EXTRA ECGC ARGS...]: compile and measure; prints
# one status line.
measure_one() {
  local onnx="$1" target="$2" opt="$3" name="$4" json="$5"
  local extra=("${@:6}")
  local log="${json%.json}.log" status code start end big
  mkdir -p "$(dirname "$json")"
  rm -f "$json"
  start=$(date +%s.%N)
  if "$ecgc" compile "$onnx" --target "$target" --opt-level "$opt" --name "$name" \
      -o "$out/crates/$name" --report "$json" ${extra[@]+"${extra[@]}"} >"$log" 2>&1; then
    status=ok
  else
    code=$?
    status="exit $code"
    if [ "$code" = 3 ]; then
      big="$(enlarged "$target")"
      "$ecgc" compile "$onnx" --target "$big" --opt-level "$opt" --name "$name" \
        -o "$out/crates/$name" --report "$json" ${extra[@]+"${extra[@]}"} >>"$log" 2>&1 && status="over budget" || status="over budget; exit $? with 4 MB"
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
}
