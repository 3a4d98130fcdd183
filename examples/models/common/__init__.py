"""Shared helpers for the ecgc model zoo (data, NCP/CfC cells, ONNX export checks).

Every ``examples/models/<name>/make.py`` puts ``examples/models`` on ``sys.path`` and imports
``common.*``; run them through ``examples/models/make.sh <name>``, which sets up the pinned venv.
"""
