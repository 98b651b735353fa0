"""``create_tracker(spec)``: one entry point for every tracker hrom can run.

``spec`` is an OpenCV baseline (kcf, csrt, mil, nano, vit) or anything
``hrom.models.create_model`` resolves — a model preset (e.g. ``hrom-w18``: an untrained network,
for speed runs), a pretrained tag (``hrom-tiny.bundled``, alias ``hrom``), an hrom checkpoint
path — or a ``LoadedModel`` / HROM module, or a folder a backend reads itself (an ONNX export).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from hrom.errors import HromError
from hrom.tracking.base import Tracker
from hrom.tracking.config import TrackerConfig, resolve_tracker_config
from hrom.tracking.opencv_trackers import OPENCV_TRACKERS, OpenCVTracker


def bundled_model_path() -> Path:
    """The bundled checkpoint (``hrom`` = ``hrom-tiny.bundled``), or a HromError saying none is shipped."""
    from hrom.models.pretrained import pretrained_file

    return pretrained_file("hrom")


def create_tracker(spec: Any, device: str = "cpu", hp: str | Path | TrackerConfig | Mapping | None = None,
                   backend: str = "torch", rgb: bool = False, peers_dir: str | Path | None = None) -> Tracker:
    """A ready tracker with ``.name``, ``init(image, box)``, ``update(image) -> box`` and ``.score``.

    ``hp`` (preset name, YAML file, dict or TrackerConfig) overrides the checkpoint's own
    ``tracker_hp``; ``device`` is cpu / cuda / cuda:N (OpenCV trackers always use the CPU);
    ``rgb``: numpy frames are RGB instead of OpenCV's BGR.
    """
    from hrom.models.factory import create_model, is_model_name
    from hrom.models.loaded import LoadedModel, as_loaded
    from hrom.tracking.backends import check_device, make_backend
    from hrom.tracking.siamese import SiameseTracker

    if isinstance(spec, (str, Path)):
        s = str(spec)
        if s.lower() in OPENCV_TRACKERS:
            if hp is not None:
                raise HromError(f"--hp applies to HROM models only, not to the OpenCV tracker {s!r}")
            return OpenCVTracker(s.lower(), peers_dir=peers_dir, rgb=rgb)
        if not (is_model_name(s) or Path(s).is_dir()):
            raise HromError(f"{s}: not a tracker name ({', '.join(OPENCV_TRACKERS)}, hrom), a model preset "
                            f"(e.g. hrom-w18, hrom-tiny), pretrained weights (hrom-tiny.bundled) or an existing "
                            "checkpoint file")
    check_device(device)
    if isinstance(spec, (str, Path)) and Path(str(spec)).is_dir():
        model, name = str(spec), Path(str(spec)).name  # a folder the backend reads itself (an ONNX export)
    else:
        model = create_model(str(spec), device="cpu") if isinstance(spec, (str, Path)) else as_loaded(spec)
        name = model.name
    net = make_backend(backend, model, device)
    own_hp = model.tracker_hp if isinstance(model, LoadedModel) else net.meta.get("tracker_hp")
    cfg = resolve_tracker_config(hp, own_hp, getattr(net, "geometry", None))
    return SiameseTracker(net, cfg, name=name, rgb=rgb)
