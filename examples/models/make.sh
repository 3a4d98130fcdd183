#!/usr/bin/env bash
# Regenerate model(s) of the ecgc model zoo, bit for bit:
#   bash examples/models/make.sh <name> [<name>...]   e.g. ecg-cnn, cfc-seq
#   bash examples/models/make.sh all                  every examples/models/*/make.py
# Creates or reuses .venv-zoo at the repository root (Debian's /usr/bin/python3 with system site
# packages for torch/onnx/numpy; pinned extras from requirements.txt), then runs <name>/make.py
# single-threaded with fixed seeds.
# exports/ and fp16/ (PyTorch 2 exports: both exporters, model.half()) have their own scripts that need
# PyPI torch; see their README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-zoo"
req="$here/requirements.txt"

if [ $# -eq 0 ]; then
    echo "usage: bash examples/models/make.sh <name>... | all" >&2
    echo "models: $(cd "$here" && ls -d */make.py 2>/dev/null | xargs -n1 dirname | tr '\n' ' ')" >&2
    exit 2
fi

# Debian's torch / onnx / numpy for /usr/bin/python3
if ! /usr/bin/python3 -c "import torch, onnx, numpy" 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "make.sh: installing python3-torch python3-onnx python3-numpy (apt)" >&2
        (apt-get install -y python3-torch python3-onnx python3-numpy \
            || { apt-get update && apt-get install -y python3-torch python3-onnx python3-numpy; }) >&2
    else
        echo "make.sh: need Debian's python3-torch python3-onnx python3-numpy (apt-get install)" >&2
        exit 1
    fi
fi

# the venv, reinstalled only when requirements.txt changes
stamp="$venv/.zoo-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
    echo "$want" > "$stamp"
fi

export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

names=("$@")
if [ "${names[*]}" = all ]; then
    names=()
    for f in "$here"/*/make.py; do names+=("$(basename "$(dirname "$f")")"); done
fi
for name in "${names[@]}"; do
    if [ ! -f "$here/$name/make.py" ]; then
        echo "make.sh: no model '$name' (no $here/$name/make.py)" >&2
        exit 2
    fi
    echo "== $name"
    (cd "$here/$name" && "$venv/bin/python" make.py)
done
