"""Checkpoints: one file with weights, full model config and the hrom version.

``load_model(path)`` rebuilds the network with no other argument and returns it with the file's
metadata as a :class:`~hrom.models.loaded.LoadedModel`.  ``load_backbone_weights``
loads ImageNet HRNet weights (official ``hrnetv2_w18_imagenet_pretrained.pth`` or timm
``hrnet_w18`` state dicts) by name and reports what matched.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn

from hrom import __version__
from hrom.errors import HromError
from hrom.io import atomic_write
from hrom.models.config import model_config_from_dict, model_config_to_dict
from hrom.models.hrom import HROM
from hrom.models.loaded import LoadedModel, as_loaded

FORMAT = "hrom-checkpoint"
FORMAT_VERSION = 1
BUNDLED_NAME = "hrom_bundled.pt"


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temp file in the same folder, then rename: never a half-written file."""
    return atomic_write(path, lambda tmp: torch.save(obj, tmp))


def first_nonfinite(named: Iterable[tuple[str, torch.Tensor]]) -> str | None:
    """Name of the first floating-point tensor holding NaN or inf, or None when all are finite."""
    for name, t in named:
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return name
    return None


def checkpoint_dict(model: HROM | LoadedModel, tracker_hp: dict | None = None, extra: dict | None = None) -> dict:
    """The serialisable checkpoint content (plain types + tensors, loadable with weights_only).

    Refuses NaN/inf weights: such a file would later "track" garbage or crash the deformable conv.
    """
    model = as_loaded(model).model
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    bad = first_nonfinite(state.items())
    if bad is not None:
        raise HromError(f"model tensor {bad} holds NaN/inf values; refusing to save a checkpoint that cannot track")
    ckpt = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "hrom_version": __version__,
        "model_config": model_config_to_dict(model.config),
        "state_dict": state,
    }
    if tracker_hp:
        ckpt["tracker_hp"] = dict(tracker_hp)
    if extra:
        ckpt["extra"] = dict(extra)
    return ckpt


def save_checkpoint(model: HROM | LoadedModel, path: str | Path, tracker_hp: dict | None = None, extra: dict | None = None) -> Path:
    """Write ``model`` (weights + config + version, optional tracker hyper-parameters) atomically."""
    return atomic_torch_save(checkpoint_dict(model, tracker_hp, extra), path)


def read_checkpoint(path: str | Path) -> dict:
    """The raw checkpoint dict, after checking that the file is an hrom checkpoint."""
    p = Path(path)
    if not p.is_file():
        raise HromError(f"{p}: checkpoint not found (expected an hrom .pt file written by `hrom train` or save_checkpoint)")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found is None:  # garbage bytes or a cut-off pickle rather than a refused object
            raise HromError(f"{p}: not a readable checkpoint (truncated or damaged: {type(exc).__name__} from "
                            "torch.load); expected an hrom .pt file") from None
        raise HromError(f"{p}: refused: the file holds pickled Python objects ({found.group(1)}), not only weights, "
                        "and loading those could run code; hrom loads plain weights files only (torch.load "
                        "weights_only=True). If you trust it, re-save its tensors with torch.save(state_dict)") from None
    except Exception as exc:  # torch raises many types (and long multi-part messages) for non-checkpoint files
        raise HromError(f"{p}: not a readable checkpoint (truncated, or not a PyTorch file: {type(exc).__name__} "
                        "from torch.load); expected an hrom .pt file") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        hint = ""
        if isinstance(ckpt, dict) and any(str(k).startswith(("conv1", "layer1", "stage2", "module.")) for k in ckpt):
            hint = " (this looks like an HRNet backbone state dict: load it with load_backbone_weights / train.backbone_weights)"
        raise HromError(f"{p}: not an hrom checkpoint{hint}; expected a dict with format={FORMAT!r}, model_config and state_dict")
    version = ckpt.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise HromError(f"{p}: damaged hrom checkpoint (format_version {version!r}); expected an integer >= 1")
    if version > FORMAT_VERSION:
        raise HromError(f"{p}: written by hrom {ckpt.get('hrom_version', '?')} in checkpoint format version {version}; "
                        f"this hrom {__version__} reads up to version {FORMAT_VERSION}: upgrade hrom")
    for key in ("model_config", "state_dict"):
        if not isinstance(ckpt.get(key), dict):
            raise HromError(f"{p}: hrom checkpoint without {key} (damaged, or written by other code); "
                            f"re-save it with hrom.models.checkpoint.save_checkpoint")
    if not all(isinstance(v, torch.Tensor) for v in ckpt["state_dict"].values()):
        raise HromError(f"{p}: state_dict holds non-tensor values (damaged, or written by other code)")
    bad = first_nonfinite(ckpt["state_dict"].items())
    if bad is not None:
        raise HromError(f"{p}: tensor {bad} holds NaN/inf values (a diverged training run?); refusing to use it: "
                        "take an earlier checkpoint, e.g. an epoch_XX.pt from before the loss blew up")
    return ckpt


def describe_mismatch(expected: Mapping[str, torch.Tensor], saved: Mapping[str, torch.Tensor], limit: int = 3) -> str:
    """The first tensors that differ between a model's state dict and a saved one ("" when they fit)."""
    shape = [f"{k} (saved {list(saved[k].shape)}, model {list(v.shape)})" for k, v in expected.items()
             if k in saved and saved[k].shape != v.shape]
    missing = [f"{k} (not in the file)" for k in expected if k not in saved]
    unexpected = [f"{k} (not in the model)" for k in saved if k not in expected]
    problems = shape + missing + unexpected
    if not problems:
        return ""
    counts = f"{len(shape)} of another shape, {len(missing)} missing, {len(unexpected)} unexpected"
    return f"first mismatched tensors: {', '.join(problems[:limit])} ({counts})"


def under_prefix(name: str, prefix: str) -> bool:
    """Whether the dotted tensor/module ``name`` is ``prefix`` or lies inside it (``rpn.loc``
    covers ``rpn.loc.head.0.weight``, not ``rpn.location``)."""
    return name == prefix or name.startswith(prefix.rstrip(".") + ".")


def load_weights(model: nn.Module, ckpt: dict, where: str, exclude: Sequence[str] = ()) -> None:
    """Load ``ckpt['state_dict']`` into ``model`` (strict); when they do not fit, the error is
    ``where`` plus the first mismatched tensors (torch only says "Error(s) in loading state_dict").

    Tensors under an ``exclude`` prefix are neither loaded nor compared: the model keeps its own
    (a fine-tune that re-initialises or reshapes one part, e.g. a wider ``rpn.loc``).
    """
    def kept(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v for k, v in sd.items() if not any(under_prefix(k, p) for p in exclude)}

    saved = kept(ckpt["state_dict"])
    problem = describe_mismatch(kept(model.state_dict()), saved)
    if problem:
        raise HromError(f"{where}: {problem}")
    model.load_state_dict(saved, strict=not exclude)


def load_model(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild the network stored in ``path`` (config + weights), in eval mode, on ``device``,
    with the file's metadata (``tracker_hp``, ``hrom_version``, ``extra``)."""
    ckpt = read_checkpoint(path)
    cfg = model_config_from_dict(ckpt["model_config"], where="model_config")
    model = HROM(cfg)
    load_weights(model, ckpt, f"{path}: weights do not match the stored model config {cfg.name}")
    meta = {k: v for k, v in ckpt.items() if k != "state_dict"}
    return LoadedModel(model.to(device).eval(), Path(path).stem, str(path), Path(path), meta)


def bundled_checkpoint() -> Path | None:
    """Path of the weights shipped inside the package, or None when none are shipped."""
    p = Path(__file__).resolve().parent.parent / "assets" / BUNDLED_NAME
    return p if p.is_file() else None


@dataclass
class LoadReport:
    """What happened when loading external weights into a module, by tensor name."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    shape_mismatch: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.loaded)} tensors loaded, {len(self.missing)} missing, "
                f"{len(self.unexpected)} unexpected, {len(self.shape_mismatch)} with another shape")


def _unwrap_state_dict(obj: Any, where: str) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        obj = {k[len("backbone."):]: v for k, v in obj["state_dict"].items() if k.startswith("backbone.")}
    for key in ("state_dict", "model", "net"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise HromError(f"{where}: not a state dict of tensors (expected an HRNet ImageNet checkpoint)")
    out = {}
    for k, v in obj.items():
        for prefix in ("module.", "backbone.", "model."):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def load_backbone_weights(backbone: nn.Module, source: str | Path | dict) -> LoadReport:
    """Copy every tensor whose name and shape match into ``backbone``; report the rest.

    Accepts the official HRNet classification checkpoints, timm ``hrnet_w*`` state dicts and
    hrom checkpoints (their ``backbone.*`` part).  Classifier/stage-4 tensors are "unexpected".
    """
    if isinstance(source, dict):
        where, obj = "state dict", source
    else:
        where = str(source)
        if not Path(source).is_file():
            raise HromError(f"{source}: backbone weights not found (expected an HRNet ImageNet .pth file)")
        try:
            obj = torch.load(source, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise HromError(f"{source}: not a readable PyTorch file ({type(exc).__name__})") from None
    incoming = _unwrap_state_dict(obj, where)
    own = backbone.state_dict()
    report = LoadReport()
    update = {}
    for name, tensor in incoming.items():
        if name not in own:
            report.unexpected.append(name)
        elif own[name].shape != tensor.shape:
            report.shape_mismatch.append(name)
        else:
            update[name] = tensor
            report.loaded.append(name)
    report.missing = [k for k in own if k not in update]
    if not update:
        raise HromError(f"{where}: no tensor name matches the HRNet backbone (expected conv1.*, layer1.*, stage2.* ...)")
    backbone.load_state_dict(update, strict=False)
    return report
