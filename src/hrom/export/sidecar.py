"""The JSON sidecar (``hrom_tracker.json``) next to the exported graphs.

Everything a runtime without Python/hrom needs to run the tracker: model config, tracker
hyper-parameters, anchors (config and the full decoded grid), pre-processing, graph
input/output names and shapes, output layouts.
"""

from __future__ import annotations

from hrom import __version__
from hrom.config import to_dict
from hrom.errors import HromError
from hrom.models.anchors import AnchorConfig, anchor_grid, score_size
from hrom.models.hrom import HROM

SIDECAR_FORMAT = "hrom-onnx-tracker"
SIDECAR_VERSION = 1


def tracker_hp_for(model: HROM, tracker_hp: dict | None = None) -> tuple[dict, str]:
    """The full tracker hyper-parameters for ``model`` and where they came from: given >
    the checkpoint's ``tracker_hp`` > the tracker's ``default`` preset."""
    from hrom.tracking.config import HP_PRESETS, tracker_config_from_dict

    meta = getattr(model, "checkpoint_meta", {}) or {}
    if tracker_hp is not None:
        return to_dict(tracker_config_from_dict(tracker_hp, "tracker_hp")), "given"
    if isinstance(meta.get("tracker_hp"), dict) and meta["tracker_hp"]:
        where = f"{meta.get('checkpoint_path', 'checkpoint')}: tracker_hp"
        return to_dict(tracker_config_from_dict(meta["tracker_hp"], where)), "checkpoint"
    return to_dict(HP_PRESETS["default"]), "default"


def tracker_anchor_config(hp: dict) -> AnchorConfig:
    """The anchor config the tracker decodes with (its stride / ratios / scales)."""
    return AnchorConfig(stride=int(hp["stride"]), ratios=tuple(hp["ratios"]), scales=tuple(hp["scales"]))


def _io(names, shapes: dict[str, list[int]]) -> list[dict]:
    return [{"name": n, "shape": list(shapes[n]), "dtype": "float32"} for n in names]


def build_sidecar(model: HROM, shapes: dict[str, list[int]], opset: int, source: str | None = None,
                  tracker_hp: dict | None = None, hashes: dict[str, str] | None = None) -> dict:
    from hrom.export import onnx_export as ox

    cfg = model.config
    meta = getattr(model, "checkpoint_meta", {}) or {}
    hp, hp_source = tracker_hp_for(model, tracker_hp)
    acfg = tracker_anchor_config(hp)
    if acfg.num != cfg.anchor_num:
        raise HromError(f"model {cfg.name}: anchor_num={cfg.anchor_num} but the tracker's anchor config has {acfg.num} anchors")
    s = score_size(cfg.search_size, cfg.template_size, acfg.stride, int(hp["base_size"]))
    if shapes["cls"][-1] != s:
        raise HromError(f"model {cfg.name}: score map is {shapes['cls'][-1]} wide, anchors expect {s}")
    grid = anchor_grid(acfg, s, center=0.0)
    return {
        "format": SIDECAR_FORMAT,
        "format_version": SIDECAR_VERSION,
        "hrom_version": __version__,
        "source": source or meta.get("checkpoint_path") or cfg.name,
        "opset": opset,
        "model_config": to_dict(cfg),
        "tracker_hp": hp,
        "tracker_hp_source": hp_source,
        "preprocessing": {
            "color": "RGB", "dtype": "float32", "range": [0, 255], "layout": "NCHW",
            "normalisation": "inside the graphs (ImageNet mean/std); feed raw pixels",
            "template_size": cfg.template_size, "search_size": cfg.search_size,
        },
        "graphs": {
            "template": {"file": ox.TEMPLATE_FILE, "sha256": (hashes or {}).get(ox.TEMPLATE_FILE),
                         "inputs": _io(("template",), shapes), "outputs": _io(ox.TEMPLATE_OUTPUTS, shapes)},
            "search": {"file": ox.SEARCH_FILE, "sha256": (hashes or {}).get(ox.SEARCH_FILE),
                       "inputs": _io(ox.SEARCH_INPUTS, shapes), "outputs": _io(ox.SEARCH_OUTPUTS, shapes)},
        },
        "outputs": {
            "cls": "(1, 2A, S, S) viewed as (1, 2, A, S, S): [background x A, foreground x A]; softmax over axis 1",
            "loc": "(1, 4A, S, S) viewed as (1, 4, A, S, S): dx, dy, dw, dh per anchor "
                   "(cx = dx*w_a + cx_a, cy = dy*h_a + cy_a, w = exp(dw)*w_a, h = exp(dh)*h_a)",
        },
        "anchors": {
            "stride": acfg.stride, "ratios": list(acfg.ratios), "scales": list(acfg.scales), "num": acfg.num,
            "score_size": s,
            "layout": "anchor-major: row a*S*S + y*S + x; columns cx, cy, w, h in search-image pixels "
                      "relative to the search-region centre",
            "grid": [[round(float(v), 4) for v in row] for row in grid],
        },
    }
