"""cfc-seq at T = 120: the legacy (traced, unrolled) export of the cfc-seq architecture over 120
steps, a stress case for ecgc's compile time and the generated crate's build time (issue 6, item 7).

Not part of the zoo and not trained: the weights are ncps' seeded initialisation (build time does
not depend on their values), so the file says nothing about accuracy. Writes
``target/model_unrolled_t120.onnx`` (6,602 ONNX nodes, 0.9 MB with torch 2.15's legacy exporter;
kept out of ``examples/models/``, where every ``.onnx`` is a zoo model with a ``.check.npz``), which
the ignored test ``big_graph_builds_in_seconds`` in compiler/tests/generated_crate.rs compiles.

Needs torch with the legacy exporter (Debian's python3-torch 1.13, or a newer torch with
``dynamo=False``) and ncps 1.0.1 (``pip install --no-deps ncps==1.0.1``, pure Python)::

    PYTHONPATH=/path/to/ncps python3 examples/models/cfc-seq/make_long.py [--steps 120] [--out FILE]
"""
import argparse
import inspect
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from common import ncp  # noqa: E402


class Softmax(nn.Module):
    def forward(self, z):
        return torch.softmax(z, dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=120)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--out", default=os.path.join(repo, "target", "model_unrolled_t120.onnx"))
    a = ap.parse_args()
    torch.manual_seed(2082)
    cfc = ncp.wired_cfc(1, 20, 2)
    step = ncp.CfcStep(cfc, Softmax()).eval()
    model = ncp.CfcUnrolled(step, a.steps).eval()
    x = torch.randn(1, a.steps, 1)
    h = torch.zeros(1, 20)
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the legacy TorchScript exporter: the loop unrolls
    with torch.no_grad():
        torch.onnx.export(model, (x, h), a.out, input_names=["x", "h"], output_names=["y", "h_next"],
                          opset_version=13, do_constant_folding=True, **kwargs)
    import onnx

    m = onnx.load(a.out)
    print(f"{a.out}: {len(m.graph.node)} nodes, {os.path.getsize(a.out)} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
