"""hrom.export: ONNX export (``onnx_export``, ``hrom export``), BatchNorm folding (``fuse``),
the JSON tracker sidecar (``sidecar``: written and read), the folder layout both share
(``layout``) and the ONNX Runtime tracker backend (``onnx_backend``, which registers itself as
the ``onnx`` backend of ``hrom.tracking``; tracking never imports this package).

Submodules import torch / onnx lazily enough that ``import hrom.export`` stays cheap.
"""
