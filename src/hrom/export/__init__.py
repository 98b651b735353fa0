"""hrom.export: ONNX export (``onnx_export``, ``hrom export``), BatchNorm folding (``fuse``),
the JSON tracker sidecar (``sidecar``) and the ONNX Runtime tracker backend (``onnx_backend``).

Submodules import torch / onnx lazily enough that ``import hrom.export`` stays cheap.
"""
