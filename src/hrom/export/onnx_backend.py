"""ONNX Runtime backend for the tracker: same interface as ``TorchBackend``.

``OnnxBackend(source)`` takes an export directory (written by ``hrom export``), a LoadedModel
or HROM model, or any name ``hrom.models.create_model`` resolves.  Models are exported on the fly
into a cache directory keyed by a hash of config + weights + versions
(``~/.cache/hrom/onnx/<hash>/``, or ``$XDG_CACHE_HOME/hrom/onnx``), written atomically (temp
dir, then rename), and reused.  Importing this module registers the ``onnx`` tracker backend
(``hrom.tracking.backends`` imports it on the first ``make_backend("onnx", ...)``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np

from hrom.errors import HromError
from hrom.export.layout import EXPORT_LAYOUT, SIDECAR_FILE
from hrom.export.onnx_export import DEFAULT_OPSET, require_onnx
from hrom.export.sidecar import read_sidecar
from hrom.io import atomic_dir
from hrom.models.config import model_config_from_dict
from hrom.models.loaded import LoadedModel, as_loaded
from hrom.tracking.backends import register_backend

__all__ = ["OnnxBackend", "cached_export", "default_cache_dir", "make_onnx_backend", "model_hash", "read_sidecar"]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hrom" / "onnx"


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def model_hash(model, opset: int) -> str:
    """Hash of everything that determines the export: the graphs and the sidecar's tracker_hp (weights
    re-released with new hyper-parameters only must not reuse the old sidecar)."""
    from hrom.export.sidecar import tracker_hp_for

    loaded = as_loaded(model)
    model = loaded.model
    import onnx
    import onnxruntime
    import torch
    import torchvision

    from hrom import __version__
    from hrom.config import to_dict

    h = hashlib.sha256()
    versions = [__version__, EXPORT_LAYOUT, torch.__version__, torchvision.__version__, onnx.__version__, onnxruntime.__version__, opset]
    h.update(json.dumps([versions, to_dict(model.config), tracker_hp_for(loaded)], sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:24]


def cached_export(model, opset: int = DEFAULT_OPSET, cache_dir: str | Path | None = None) -> Path:
    """Export ``model`` (a LoadedModel or HROM) into the cache (once) and return the export directory."""
    from hrom.export.onnx_export import write_export

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = root / model_hash(model, opset)
    if (final / SIDECAR_FILE).is_file():
        try:
            read_sidecar(final)
            return final
        except HromError:
            shutil.rmtree(final, ignore_errors=True)  # damaged cache entry: rebuild it
    try:
        with atomic_dir(final) as tmp:
            write_export(model, tmp, opset)
    except OSError:
        if not (final / SIDECAR_FILE).is_file():  # not a concurrent writer that won the race
            raise
    return final


def session_options(threads: int | None = None):
    """CPU session options: intra-op threads = ``threads``, else ``--threads``, else the available cores."""
    _, ort = require_onnx()
    so = ort.SessionOptions()
    from hrom.procs import requested_threads

    so.intra_op_num_threads = threads or requested_threads() or available_cores()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return so


def _resolve_source(source, opset: int, cache_dir) -> Path:
    """Export directory for an export dir / LoadedModel / HROM / name for ``create_model``."""
    from torch import nn

    if isinstance(source, (LoadedModel, nn.Module)):
        return cached_export(source, opset, cache_dir)
    if Path(str(source)).is_dir():
        return Path(str(source))
    from hrom.models.factory import create_model

    return cached_export(create_model(str(source), device="cpu"), opset, cache_dir)


class OnnxBackend:
    """Runs the exported template / search graphs with onnxruntime on the CPU.

    ``set_template(z)`` takes float32 RGB 0..255 (1,3,127,127); ``search(x)`` takes (1,3,255,255)
    and returns numpy ``(cls (1,2A,25,25), loc (1,4A,25,25))``; exports with ``any_search_size``
    (hrom's own, since the lost-target search) take any larger square crop too.
    """

    name = "onnx"

    def __init__(self, source, *, opset: int = DEFAULT_OPSET, cache_dir: str | Path | None = None,
                 threads: int | None = None, providers: list[str] | None = None):
        _, ort = require_onnx()
        self.export_dir = _resolve_source(source, opset, cache_dir)
        self.sidecar = read_sidecar(self.export_dir)
        so = session_options(threads)
        providers = providers or ["CPUExecutionProvider"]
        graphs = self.sidecar["graphs"]
        try:
            self._template = ort.InferenceSession(str(self.export_dir / graphs["template"]["file"]), so, providers=providers)
            self._search = ort.InferenceSession(str(self.export_dir / graphs["search"]["file"]), so, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise HromError(f"{self.export_dir}: onnxruntime cannot load the graphs ({first[:200]})") from None
        # exports of hrom <= 0.x before the lost-target search take only the nominal search crop
        self.any_search_size = bool(graphs["search"].get("any_search_size", False))
        self._t_in = graphs["template"]["inputs"][0]
        self._s_in = graphs["search"]["inputs"][0]
        self._state_names = [o["name"] for o in graphs["template"]["outputs"]]
        self._out_names = [o["name"] for o in graphs["search"]["outputs"]]
        self._state: dict[str, np.ndarray] | None = None
        self.config = self.sidecar["model_config"]
        self.geometry = model_config_from_dict(self.config, f"{self.export_dir / SIDECAR_FILE}: model_config").geometry
        # like TorchBackend.meta: "tracker_hp" only when the model carries its own hyper-parameters
        # (the sidecar always lists the full set, defaults included, for other runtimes)
        self.meta = {"export_dir": str(self.export_dir), "source": self.sidecar.get("source")}
        if self.sidecar.get("tracker_hp_source") in ("checkpoint", "given"):
            self.meta["tracker_hp"] = dict(self.sidecar["tracker_hp"])

    @staticmethod
    def _check(arr: np.ndarray, spec: dict, what: str, above: int = 0) -> np.ndarray:
        """``arr`` as float32 if its shape is ``spec``'s, or (``above`` > 0) any square side > ``above``."""
        arr = np.asarray(arr)
        want = tuple(spec["shape"])
        ok = tuple(arr.shape) == want
        if above and not ok:
            ok = arr.ndim == 4 and arr.shape[:2] == want[:2] and arr.shape[2] == arr.shape[3] > above
        if not ok:
            expected = f"(1, 3, n, n) with n > {above} (nominally {want[2]})" if above else str(want)
            raise HromError(f"{what}: got an array of shape {tuple(arr.shape)}; expected {expected} float32 RGB 0..255")
        return np.ascontiguousarray(arr, dtype=np.float32)

    def set_template(self, z: np.ndarray) -> None:
        z = self._check(z, self._t_in, "template")
        outs = self._template.run(self._state_names, {self._t_in["name"]: z})
        self._state = dict(zip(self._state_names, outs))

    @property
    def template_state(self) -> tuple | None:
        """The template graph's outputs (numpy arrays, in the sidecar's order) that the search graph
        takes (None before ``set_template``)."""
        return None if self._state is None else tuple(self._state[n] for n in self._state_names)

    @template_state.setter
    def template_state(self, state) -> None:
        state = tuple(state)
        if len(state) != len(self._state_names):
            raise HromError(f"template_state: got {len(state)} arrays; the search graph takes {len(self._state_names)} "
                            f"({', '.join(self._state_names)})")
        self._state = {n: np.ascontiguousarray(a, dtype=np.float32) for n, a in zip(self._state_names, state)}

    def search(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._state is None:
            raise HromError("tracker: search() before set_template(); call init(image, box) first")
        x = self._check(x, self._s_in, "search region", self.geometry.template_size if self.any_search_size else 0)
        cls, loc = self._search.run(self._out_names, {self._s_in["name"]: x, **self._state})
        return cls, loc

    def __repr__(self) -> str:
        return f"OnnxBackend({self.export_dir})"


def make_onnx_backend(model_spec, device="cpu") -> OnnxBackend:
    """Factory for the tracker's backend registry (``make_backend("onnx", spec, device)``)."""
    dev = str(device)
    if dev != "cpu":
        raise HromError(f"device {dev!r}: the onnx backend runs on the CPU (onnxruntime CPUExecutionProvider); use --device cpu")
    return OnnxBackend(model_spec)


register_backend("onnx", make_onnx_backend)
