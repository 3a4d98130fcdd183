#!/usr/bin/env bash
# Writes the generated ecg-cnn crate this firmware links into models/ (not committed).
set -euo pipefail
# ECGC_CARGO_PROFILE: the cargo profile ecgc is built with (scripts/test-all.sh uses its `ci`).
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
cargo run --quiet --profile "${ECGC_CARGO_PROFILE:-dev}" -p ecgc -- compile examples/models/ecg-cnn/model.onnx --target stm32f746 \
  -o "$here/models/ecg_cnn" --kernels-path runtime-kernels
