#!/usr/bin/env bash
# Differential-fuzzing campaign (golden/README.md "Differential fuzzing"): runs the diff_fuzz test
# (compiler/tests/diff_fuzz.rs) over seeds START .. START+COUNT-1 in batches, then prints one
# summary: matches, refusals by reason, reference problems, failures with their seeds.
#
#   scripts/diff-fuzz.sh [--count N] [--start S] [--batch B]   (defaults: 10000, 0, 400)
#   scripts/diff-fuzz.sh --minimise SEED                         smaller candidates of a failing seed
#
# Results go to target/diff-fuzz-campaign/<start>-<end>/ (batch_<s>.json and .log per batch,
# summary.txt). Exit status 1 when any case failed. Needs golden/tools/requirements.txt: set
# ECGC_PYTHON, or a .venv-golden is made as scripts/test-all.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."

count=10000 start=0 batch=400 minimise=""
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --start) start="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --minimise) minimise="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "diff-fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$count" "$start" "$batch" ${minimise:+"$minimise"}; do
  case "$v" in ''|*[!0-9]*) echo "diff-fuzz.sh: '$v' is not a non-negative integer" >&2; exit 2 ;; esac
done
[ "$batch" -gt 0 ] || { echo "diff-fuzz.sh: --batch must be > 0" >&2; exit 2; }

if [ -z "${ECGC_PYTHON:-}" ]; then
  if ! .venv-golden/bin/python -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
    python3 -m venv .venv-golden
    .venv-golden/bin/pip install -q --disable-pip-version-check -r golden/tools/requirements.txt
  fi
  ECGC_PYTHON="$PWD/.venv-golden/bin/python"
fi
export ECGC_PYTHON
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo test -q -p ecgc --test diff_fuzz --no-run

if [ -n "$minimise" ]; then
  out="$target/diff-fuzz-campaign/minimise-$minimise"
  rm -rf "$out" && mkdir -p "$out"
  "$ECGC_PYTHON" golden/tools/diff_fuzz.py minimise "$minimise" --out "$out/cases" >/dev/null
  ECGC_DIFF_FUZZ_CASES="$out/cases" ECGC_DIFF_FUZZ_WORK="$out/work" ECGC_DIFF_FUZZ_SUMMARY="$out/summary.json" \
    cargo test -q -p ecgc --test diff_fuzz -- --nocapture >"$out/log" 2>&1 || true
  [ -f "$out/summary.json" ] || { cat "$out/log"; exit 1; }
  echo "candidates of seed $minimise that still fail or still split tract from onnxruntime (fewest nodes first):"
  "$ECGC_PYTHON" - "$out" <<'EOF'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
s = json.loads((out / "summary.json").read_text())
rows = []
bad = list(s["failures"]) + [i.split(" (", 1) for ids in s["reference"].values() for i in ids]
for cid, why in bad:
    meta = json.loads((out / "cases" / cid / "case.json").read_text())
    rows.append((meta["nodes"], cid, why))
for nodes, cid, why in sorted(rows):
    print(f"  {cid} ({nodes} node(s)): {why.splitlines()[0]}\n    {out / 'cases' / cid}")
if not rows:
    print("  none: no candidate fails on its own; minimise by hand (diff_fuzz.py show SEED)")
EOF
  exit 0
fi

end=$((start + count))
out="$target/diff-fuzz-campaign/$start-$end"
mkdir -p "$out"
began=$(date +%s)
for ((s = start; s < end; s += batch)); do
  n=$(( end - s < batch ? end - s : batch ))
  if ECGC_DIFF_FUZZ_START=$s ECGC_DIFF_FUZZ_COUNT=$n ECGC_DIFF_FUZZ_WORK="$out/work" \
     ECGC_DIFF_FUZZ_SUMMARY="$out/batch_$s.json" \
     cargo test -q -p ecgc --test diff_fuzz -- --nocapture >"$out/batch_$s.log" 2>&1; then
    verdict=ok
  else
    verdict=FAILED
  fi
  [ -f "$out/batch_$s.json" ] || echo "{\"cases\": $n, \"matches\": 0, \"refused\": {}, \"reference\": {}, \"failures\": [[\"batch $s\", \"the test stopped before its summary: see batch_$s.log\"]]}" >"$out/batch_$s.json"
  echo "seeds $s..$((s + n - 1)): $verdict ($(( $(date +%s) - began )) s so far)"
done

"$ECGC_PYTHON" - "$out" "$start" "$end" "$(( $(date +%s) - began ))" <<'EOF' | tee "$out/summary.txt"
import json, sys
from collections import defaultdict
from pathlib import Path
out, start, end, secs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cases = matches = 0
refused, reference, failures = defaultdict(list), defaultdict(list), []
for p in sorted(out.glob("batch_*.json"), key=lambda p: int(p.stem.split("_")[1])):
    if not start <= int(p.stem.split("_")[1]) < end:
        continue
    s = json.loads(p.read_text())
    cases += s["cases"]
    matches += s["matches"]
    for r, ids in s["refused"].items():
        refused[r] += ids
    for r, ids in s["reference"].items():
        reference[r] += ids
    failures += s["failures"]
print(f"diff-fuzz campaign, seeds {start}..{end - 1}: {cases} cases in {secs} s")
print(f"  match {matches}, refused {sum(map(len, refused.values()))}, "
      f"reference problems {sum(map(len, reference.values()))}, failures {len(failures)}")
for r, ids in sorted(refused.items(), key=lambda x: -len(x[1])):
    print(f"  refused ({len(ids)}): {r[:300]}\n    seeds {' '.join(ids[:30])}{' ...' if len(ids) > 30 else ''}")
for r, ids in sorted(reference.items(), key=lambda x: -len(x[1])):
    print(f"  reference ({len(ids)}): {r}")
    for i in ids[:10]:
        print(f"    {i[:300]}")
    if len(ids) > 10:
        print(f"    ... and {len(ids) - 10} more")
for cid, why in failures:
    print(f"  FAILURE seed {cid}: {why}")
sys.exit(1 if failures else 0)
EOF
