"""s4d-cfc-tiny: the "25 kB" S4D-CfC (H=32, N=32, ~6.5k parameters) on 2.5 s SYNTHETIC 1-lead
windows. Same network family and export forms as ``s4d-cfc`` (its make.py does the work).

Regenerate bit-for-bit with ``bash examples/models/make.sh s4d-cfc-tiny``.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "s4d_cfc_make", os.path.join(os.path.dirname(HERE), "s4d-cfc", "make.py"))
s4d_cfc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(s4d_cfc)

CONFIG = dict(
    name="s4d-cfc-tiny", title="S4D-CfC tiny (\"25 kB\")", seed=2500,
    fs=100, seconds=2.5, h=32, n=32,
    n_train=400, n_test=50, n_cal=128,  # records per class; calibration windows
    epochs=60, batch=32, lr=1e-2, ssm_lr=1e-3, crop=None, logit_scale=4.0,
    paper="a ~2.5 s window, H = 32, N = 32 are guesses (MODELS.md): ~6,452 parameters",
)

if __name__ == "__main__":
    s4d_cfc.build(HERE, CONFIG)
