"""cltc: CLTC — ConvLSTM2D (one step, zero state) on 12-lead STFT magnitudes → Dense(75, relu) →
LTC(AutoNCP(20, 6), 6 ODE unfolds) one step from zero state → sigmoid, on SYNTHETIC 6-class rhythm
windows. Same front end, data and export as ``ccfc`` (its make.py does the work).

Regenerate bit-for-bit with ``bash examples/models/make.sh cltc``.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "ccfc_make", os.path.join(os.path.dirname(HERE), "ccfc", "make.py"))
ccfc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ccfc)

CONFIG = dict(ccfc.CONFIG, name="cltc", title="CLTC", kind="ltc", seed=3600, loss="ce", lr=2e-3,
              logit_scale=1.0, head_lr=2e-2)  # the LTC learns slowly at the front end's lr

if __name__ == "__main__":
    ccfc.build(HERE, CONFIG)
