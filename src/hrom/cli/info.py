"""``hrom info PRESET_OR_CHECKPOINT [--json]``: parameters per part, FLOPs, output shapes."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="model summary: parameters per part, FLOPs, output shapes",
                       description="Summarise a model preset or checkpoint.")
    p.add_argument("model", metavar="PRESET_OR_CHECKPOINT", nargs="?",
                   help="a preset name (see --list), pretrained weights ('hrom-tiny.bundled', alias 'hrom') or an "
                        "hrom checkpoint file")
    p.add_argument("--list", action="store_true", help="list the model presets and pretrained weights, and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--backbone-weights", metavar="PTH", help="also load HRNet ImageNet weights into the backbone by name and report how many tensors matched")
    p.set_defaults(func=run)


def summarise(spec: str, backbone_weights: str | None = None) -> dict:
    import torch

    from hrom.models.config import model_config_to_dict
    from hrom.models.factory import create_model
    from hrom.models.flops import count_flops, count_params

    loaded = create_model(spec)
    model, cfg = loaded.model, loaded.config
    report = None
    if backbone_weights:
        from hrom.models.checkpoint import load_backbone_weights

        r = load_backbone_weights(model.backbone, backbone_weights)
        report = {"loaded": len(r.loaded), "missing": len(r.missing), "unexpected": len(r.unexpected),
                  "shape_mismatch": len(r.shape_mismatch), "summary": r.summary()}
    params = count_params(model)
    flops = count_flops(model)
    with torch.no_grad():
        z = torch.zeros(1, 3, cfg.template_size, cfg.template_size)
        x = torch.zeros(1, 3, cfg.search_size, cfg.search_size)
        cls, loc = model(z, x)
    return {
        "model": spec,
        "name": cfg.name,
        "params": params["total"],
        "params_backbone": params["backbone"],
        "params_neck": params["neck"],
        "params_masks": params["masks"],
        "params_rpn": params["rpn"],
        "flops_template": flops["template"],
        "flops_search": flops["search"],
        "cls_shape": list(cls.shape),
        "loc_shape": list(loc.shape),
        "hrom_version": loaded.hrom_version,
        "config": model_config_to_dict(cfg),
        "backbone_weights": report,
    }


def run(args: argparse.Namespace) -> int:
    if args.list or args.model is None:
        from hrom.models.config import PRESET_NOTES, PRESETS
        from hrom.models.pretrained import ALIASES, PRETRAINED

        for name, cfg in PRESETS.items():
            reps = "+".join(f"R{r}" for r in cfg.representations)
            parts = [t for t, on in (("CM", cfg.channel_mask), ("SM", cfg.spatial_mask), ("DeConv", cfg.deformable)) if on]
            print(f"{name:<16} w{cfg.width:<3} {reps:<12} {'+'.join(parts) or '-':<14} {PRESET_NOTES.get(name, '')}")
        for tag, weights in PRETRAINED.items():
            aliases = ", ".join(a for a, t in ALIASES.items() if t == tag)
            print(f"{tag:<20} pretrained{f' (alias {aliases})' if aliases else ''}: {weights.note}")
        return 0
    info = summarise(args.model, args.backbone_weights)
    if args.json:
        print(json.dumps(info))
        return 0
    cfg = info["config"]
    reps = "+".join(f"R{r}" for r in cfg["representations"])
    switches = ", ".join(f"{k}={'on' if cfg[k] else 'off'}" for k in ("channel_mask", "spatial_mask", "deformable"))
    print(f"{info['name']}  (HRNet width {cfg['width']}, head {reps}, {switches})")
    rows = [("backbone (HRNet)", info["params_backbone"]), ("neck (representation head)", info["params_neck"]),
            ("object-aware masks", info["params_masks"]), ("deformable RPN", info["params_rpn"]), ("total", info["params"])]
    for label, n in rows:
        print(f"  {label:<28}{n / 1e6:>9.3f} M params")
    print(f"  template pass {cfg['template_size']}x{cfg['template_size']}: {info['flops_template'] / 1e9:8.2f} GFLOPs")
    print(f"  search pass   {cfg['search_size']}x{cfg['search_size']}: {info['flops_search'] / 1e9:8.2f} GFLOPs")
    print(f"  outputs: cls {tuple(info['cls_shape'])}, loc {tuple(info['loc_shape'])}")
    if info["backbone_weights"]:
        print(f"  backbone weights {args.backbone_weights}: {info['backbone_weights']['summary']}")
    return 0
