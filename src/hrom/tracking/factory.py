"""``create_tracker(spec)``: one entry point for every tracker hrom can run.

``spec`` is an OpenCV baseline (kcf, csrt, mil, nano, vit), a model preset (e.g. ``hrom-w18``:
an untrained network, for speed runs), an hrom checkpoint path, or ``hrom`` (the bundled weights).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hrom.errors import HromError
from hrom.tracking.base import Tracker
from hrom.tracking.config import TrackerConfig, resolve_tracker_config
from hrom.tracking.opencv_trackers import OPENCV_TRACKERS, OpenCVTracker


def bundled_model_path() -> Path:
    """The bundled checkpoint, or a HromError saying none is shipped yet."""
    from hrom.models.checkpoint import bundled_checkpoint

    path = bundled_checkpoint()
    if path is None:
        raise HromError("no bundled HROM weights are shipped with this version of hrom yet; pass --model "
                        "CHECKPOINT (a .pt file from `hrom train`) or a preset name such as hrom-w18 (untrained)")
    return path


def create_tracker(spec: Any, device: str = "cpu", hp: str | Path | TrackerConfig | Mapping | None = None,
                   backend: str = "torch", rgb: bool = False, peers_dir: str | Path | None = None) -> Tracker:
    """A ready tracker with ``.name``, ``init(image, box)``, ``update(image) -> box`` and ``.score``.

    ``hp`` (preset name, YAML file, dict or TrackerConfig) overrides the checkpoint's own
    ``tracker_hp``; ``device`` is cpu / cuda / cuda:N (OpenCV trackers always use the CPU);
    ``rgb``: numpy frames are RGB instead of OpenCV's BGR.
    """
    from hrom.models.config import PRESETS
    from hrom.tracking.backends import check_device, make_backend
    from hrom.tracking.siamese import SiameseTracker

    if not isinstance(spec, (str, Path)):  # an HROM module given directly
        name = getattr(getattr(spec, "config", None), "name", "hrom")
        model = spec
    else:
        s = str(spec)
        if s.lower() in OPENCV_TRACKERS:
            if hp is not None:
                raise HromError(f"--hp applies to HROM models only, not to the OpenCV tracker {s!r}")
            return OpenCVTracker(s.lower(), peers_dir=peers_dir, rgb=rgb)
        if s == "hrom":
            model, name = bundled_model_path(), "hrom"
        elif s in PRESETS:
            model, name = s, s
        elif Path(s).exists():
            model, name = s, Path(s).stem
        else:
            raise HromError(f"{s}: not a tracker name ({', '.join(OPENCV_TRACKERS)}, hrom), a model preset "
                            f"(e.g. hrom-w18, hrom-tiny) or an existing checkpoint file")
    check_device(device)
    net = make_backend(backend, model, device)
    cfg = resolve_tracker_config(hp, net.meta.get("tracker_hp"))
    return SiameseTracker(net, cfg, name=name, rgb=rgb)
