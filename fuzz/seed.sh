#!/bin/sh
# Seeds the fuzz corpus (corpus/compile_onnx) with the bad-input corpus's models and the golden
# models under 200 KB, each named by its SHA-1 as libFuzzer names corpus files. Idempotent.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/corpus/compile_onnx"
mkdir -p "$out"
for f in "$here"/../compiler/tests/bad_inputs/models/*.onnx "$here"/../golden/*/model.onnx; do
    [ "$(wc -c <"$f")" -le 204800 ] || continue
    cp "$f" "$out/$(sha1sum "$f" | cut -d' ' -f1)"
done
ls "$out" | wc -l
