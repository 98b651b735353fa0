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

# Spatial axes of the search graph left free, so one graph serves the nominal crop and the
# tracker's larger lost-target crop (``lost_search_size``).
SEARCH_DYNAMIC_AXES = {"search": {2: "search_h", 3: "search_w"}, "cls": {2: "score_h", 3: "score_w"},
                       "loc": {2: "score_h", 3: "score_w"}}
# Bumped when the exported graphs change for the same model, so cached exports are rebuilt.
EXPORT_LAYOUT = 2  # 2: search graph of any crop size
