"""What an ONNX export folder holds: file names and the graphs' input / output names.

Shared by the writer (``onnx_export``), the sidecar (``sidecar``) and the reader
(``onnx_backend``), so none of them imports another for a name.
"""

TEMPLATE_FILE = "hrom_template.onnx"
SEARCH_FILE = "hrom_search.onnx"
SIDECAR_FILE = "hrom_tracker.json"

TEMPLATE_INPUTS = ("template",)
TEMPLATE_OUTPUTS = ("mask", "k_cls", "k_loc")
SEARCH_INPUTS = ("search", "mask", "k_cls", "k_loc")
SEARCH_OUTPUTS = ("cls", "loc")
