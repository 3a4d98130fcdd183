#!/usr/bin/env bash
# Writes the two generated crates this firmware links into models/ (not committed): the ecg-cnn
# classifier and the CfC step, both using the repo's kernel crate (one shared `ecgc-kernels`).
set -euo pipefail
# ECGC_CARGO_PROFILE: the cargo profile ecgc is built with (scripts/test-all.sh uses its `ci`).
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
ecgc() { cargo run --quiet --profile "${ECGC_CARGO_PROFILE:-dev}" -p ecgc -- "$@"; }
ecgc compile examples/models/ecg-cnn/model.onnx --target stm32f746 -o "$here/models/ecg_cnn" --kernels-path runtime-kernels
ecgc compile examples/models/cfc-seq/model.onnx --target stm32f746 -o "$here/models/cfc_step" --kernels-path runtime-kernels
