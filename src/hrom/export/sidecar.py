"""The JSON sidecar (``hrom_tracker.json``) next to the exported graphs: written and read here.

Everything a runtime without Python/hrom needs to run the tracker: model config, tracker
hyper-parameters, anchors (config and the full decoded grid), pre-processing, graph
input/output names and shapes, output layouts.  ``tracker_hp`` keeps hrom 0.1's keys, geometry
included (``exemplar_size``, ``instance_size``, ``stride``, ...: the network's values), so
readers of format version 1 see what they always saw.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from hrom import __version__
from hrom.config import to_dict
from hrom.errors import HromError
from hrom.export.layout import (SEARCH_FILE, SEARCH_INPUTS, SEARCH_OUTPUTS, SIDECAR_FILE, TEMPLATE_FILE,
                                TEMPLATE_INPUTS, TEMPLATE_OUTPUTS)
from hrom.models.config import model_config_to_dict
from hrom.models.head_geometry import HeadGeometry
from hrom.models.loaded import LoadedModel
from hrom.tracking.config import HP_PRESETS, TrackerConfig, tracker_config_from_dict

SIDECAR_FORMAT = "hrom-onnx-tracker"
SIDECAR_VERSION = 1

# hrom 0.1's tracker_hp key order (knobs and geometry interleaved), kept so sidecars do not change.
_HP_ORDER = ("penalty_k", "window_influence", "lr", "exemplar_size", "instance_size", "context_amount", "base_size",
             "stride", "ratios", "scales", "min_size", "keep_box_inside")


def sidecar_tracker_hp(cfg: TrackerConfig, geometry: HeadGeometry) -> dict:
    """The knobs of ``cfg`` plus the network's geometry under hrom 0.1's tracker_hp names."""
    merged = {**to_dict(cfg), **geometry.legacy_tracker_keys()}
    return {k: merged[k] for k in _HP_ORDER if k in merged} | {k: v for k, v in merged.items() if k not in _HP_ORDER}


def tracker_hp_for(model: LoadedModel, tracker_hp: dict | None = None) -> tuple[dict, str]:
    """The full tracker hyper-parameters for ``model`` and where they came from: given >
    the checkpoint's ``tracker_hp`` > the tracker's ``default`` preset."""
    geometry = model.geometry
    if tracker_hp is not None:
        return sidecar_tracker_hp(tracker_config_from_dict(tracker_hp, "tracker_hp", geometry), geometry), "given"
    if model.tracker_hp:
        cfg = tracker_config_from_dict(model.tracker_hp, f"{model.source}: tracker_hp", geometry)
        return sidecar_tracker_hp(cfg, geometry), "checkpoint"
    return sidecar_tracker_hp(HP_PRESETS["default"], geometry), "default"


def _io(names, shapes: dict[str, list[int]]) -> list[dict]:
    return [{"name": n, "shape": list(shapes[n]), "dtype": "float32"} for n in names]


def build_sidecar(model: LoadedModel, shapes: dict[str, list[int]], opset: int, source: str | None = None,
                  tracker_hp: dict | None = None, hashes: dict[str, str] | None = None) -> dict:
    cfg = model.config
    geometry = model.geometry
    hp, hp_source = tracker_hp_for(model, tracker_hp)
    s, a = geometry.score_size, geometry.anchor_num
    if list(shapes["cls"][1:]) != [2 * a, s, s]:
        raise HromError(f"model {cfg.name}: cls map is {shapes['cls'][1:]}; its geometry promises {[2 * a, s, s]}")
    grid = geometry.anchor_grid(center=0.0)
    return {
        "format": SIDECAR_FORMAT,
        "format_version": SIDECAR_VERSION,
        "hrom_version": __version__,
        "source": source or cfg.name,
        "opset": opset,
        "model_config": model_config_to_dict(cfg),
        "tracker_hp": hp,
        "tracker_hp_source": hp_source,
        "preprocessing": {
            "color": "RGB", "dtype": "float32", "range": [0, 255], "layout": "NCHW",
            "normalisation": "inside the graphs (ImageNet mean/std); feed raw pixels",
            "template_size": cfg.template_size, "search_size": cfg.search_size,
        },
        "graphs": {
            "template": {"file": TEMPLATE_FILE, "sha256": (hashes or {}).get(TEMPLATE_FILE),
                         "inputs": _io(TEMPLATE_INPUTS, shapes), "outputs": _io(TEMPLATE_OUTPUTS, shapes)},
            "search": {"file": SEARCH_FILE, "sha256": (hashes or {}).get(SEARCH_FILE),
                       "inputs": _io(SEARCH_INPUTS, shapes), "outputs": _io(SEARCH_OUTPUTS, shapes),
                       # shapes above are for the nominal crop; any square side > template_size works,
                       # the maps then have side score_size + feat(side) - feat(search_size)
                       "any_search_size": True},
        },
        "outputs": {
            "cls": "(1, 2A, S, S) viewed as (1, 2, A, S, S): [background x A, foreground x A]; softmax over axis 1",
            "loc": "(1, 4A, S, S) viewed as (1, 4, A, S, S): dx, dy, dw, dh per anchor "
                   "(cx = dx*w_a + cx_a, cy = dy*h_a + cy_a, w = exp(dw)*w_a, h = exp(dh)*h_a)",
        },
        "anchors": {
            "stride": geometry.stride, "ratios": list(geometry.ratios), "scales": list(geometry.scales), "num": a,
            "score_size": s,
            "layout": "anchor-major: row a*S*S + y*S + x; columns cx, cy, w, h in search-image pixels "
                      "relative to the search-region centre",
            "grid": [[round(float(v), 4) for v in row] for row in grid],
        },
    }


def dumps_compact(obj) -> str:
    """Indented JSON with lists of plain values (shapes, anchor rows) kept on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def read_sidecar(export_dir: str | Path, check_hashes: bool = True) -> dict:
    """The sidecar of an export directory, after checking that the graphs are there and complete."""
    d = Path(export_dir)
    p = d / SIDECAR_FILE
    if not p.is_file():
        raise HromError(f"{d}: not an hrom ONNX export (no {SIDECAR_FILE}); expected a directory written by `hrom export`")
    try:
        meta = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise HromError(f"{p}: unreadable sidecar ({exc}); expected the JSON written by `hrom export`") from None
    if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
        raise HromError(f"{p}: not an hrom tracker sidecar; expected format={SIDECAR_FORMAT!r}")
    for key in ("template", "search"):
        g = meta["graphs"][key]
        f = d / g["file"]
        if not f.is_file():
            raise HromError(f"{f}: missing {key} graph listed in {SIDECAR_FILE}")
        if check_hashes and g.get("sha256") and hashlib.sha256(f.read_bytes()).hexdigest() != g["sha256"]:
            raise HromError(f"{f}: content does not match the SHA-256 in {SIDECAR_FILE} (partial or modified file); re-run `hrom export`")
    return meta
