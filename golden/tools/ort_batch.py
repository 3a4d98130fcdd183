"""onnxruntime's outputs for a batch of samples, one inference per sample.

    python ort_batch.py MODEL.onnx INPUTS.npz OUT.npz

INPUTS.npz holds one array per model input, [samples, ...input shape]; OUT.npz gets two arrays
per model output, [samples, ...output shape]:
- NAME: onnxruntime as deployed (CPU provider, all graph optimizations: a QDQ model's pairs are
  fused into onnxruntime's integer kernels, some of which approximate, e.g. QLinearSoftmax);
- NAME__spec: every graph optimization off, each node evaluated as the ONNX spec defines it
  (DequantizeLinear, the float op, QuantizeLinear): the model's reference semantics.
Used by compiler/tests/qdq.rs (QDQ models made by onnxruntime's quantizer).
"""
import sys
import numpy as np
import onnxruntime as ort

model, inputs, out = sys.argv[1:4]
xs = np.load(inputs)
outs = {}
for suffix, level in [("", ort.GraphOptimizationLevel.ORT_ENABLE_ALL), ("__spec", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)]:
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    sess = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    n = len(xs[names[0]])
    results = [sess.run(None, {k: xs[k][i : i + 1] for k in names}) for i in range(n)]
    for j, o in enumerate(sess.get_outputs()):
        outs[o.name + suffix] = np.concatenate([r[j] for r in results])
np.savez(out, **outs)
