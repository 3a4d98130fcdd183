"""Pre-quantized (QDQ) models made by onnxruntime's own quantizer, for tests/qdq.rs.

Both start from the zoo's trained ECG CNN (../ecg-cnn/model.onnx) and its calibration set
(../ecg-cnn/calibration.npz: 128 training beats), quantized by
`onnxruntime.quantization.quantize_static` in QuantFormat.QDQ with the MinMax calibrator:

- ecg_cnn_qdq.onnx: int8 activations, int8 weights per output channel (the TFLite/CMSIS-NN scheme);
- ecg_cnn_qdq_u8.onnx: onnxruntime's defaults: uint8 activations, int8 weights per tensor;
- ecg_cnn_qop.onnx: operator form (QuantFormat.QOperator: QLinearConv, com.microsoft's QGemm and
  QLinearSoftmax, MaxPool on int8), int8 activations, per-channel int8 weights.

Run with a Python that has onnxruntime (golden/tools/requirements.txt):
    .venv-golden/bin/python examples/models/qdq/make.py
The output is deterministic (MinMax over a fixed set); onnxruntime's version is recorded in
README.md.
"""
import os
import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

HERE = os.path.dirname(os.path.abspath(__file__))
ZOO = os.path.join(HERE, "..", "ecg-cnn")


class Beats(CalibrationDataReader):
    def __init__(self):
        x = np.load(os.path.join(ZOO, "calibration.npz"))["x"].astype(np.float32)
        self.it = iter([{"x": x[i : i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self.it, None)


def make(name, quant_format=QuantFormat.QDQ, **kw):
    out = os.path.join(HERE, name)
    quantize_static(os.path.join(ZOO, "model.onnx"), out, Beats(), quant_format=quant_format, **kw)
    m = onnx.load(out)
    # no producer-specific metadata that changes between runs
    m.producer_version = ""
    onnx.save(m, out)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(name, os.path.getsize(out), "bytes,", ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))


if __name__ == "__main__":
    print("onnxruntime", onnxruntime.__version__)
    make("ecg_cnn_qdq.onnx", per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    make("ecg_cnn_qdq_u8.onnx", per_channel=False, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    make("ecg_cnn_qop.onnx", per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
         quant_format=QuantFormat.QOperator)
