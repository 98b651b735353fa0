"""Network backends behind the Siamese tracker.

A backend turns crops into raw maps and nothing else, so any runtime (PyTorch now, ONNX Runtime
later) reuses the same cropping and post-processing.  Contract:

- ``set_template(z)``: ``z`` float32 (1, 3, 127, 127), RGB 0..255; computes and keeps the
  template state (once per video).
- ``search(x)`` -> ``(cls, loc)``: ``x`` float32 (1, 3, S, S); numpy float32 maps
  (1, 2A, s, s) and (1, 4A, s, s) in pysot's layout.
- optional ``template_state`` (read / write): the state ``set_template`` keeps, as a tuple of
  arrays that blend linearly, None before the first template; the tracker's template update needs it.
- ``name`` (str), ``meta`` (dict; may hold ``tracker_hp`` from a checkpoint) and ``geometry``
  (the network's ``HeadGeometry``: crop sizes and anchors the tracker uses).

Add a runtime with ``register_backend("name", factory)``; ``factory(model_spec, device)`` where
``model_spec`` is a ``LoadedModel``, an HROM module or a name for ``hrom.models.create_model``.
Runtimes that ship with hrom outside this package (the ONNX one, in ``hrom.export``) register
themselves when their module is imported; ``PLUGINS`` names that module so ``make_backend``
can import it on first use, and installed packages can add theirs through the ``hrom.backends``
entry-point group (a ``factory``).  Tracking itself never imports them.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Protocol

import numpy as np

from hrom.errors import HromError
from hrom.models.head_geometry import HeadGeometry


class Backend(Protocol):
    name: str
    meta: dict
    geometry: HeadGeometry

    def set_template(self, z: np.ndarray) -> None: ...

    def search(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def check_device(device: Any) -> "torch.device":  # noqa: F821
    """A valid torch device string that exists on this machine, or a clear HromError."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise HromError(f"device {device!r}: not a device name; expected cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise HromError(f"device {device!r}: CUDA was asked for but is not available on this machine "
                            "(no GPU or a CPU-only torch build); use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise HromError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif dev.type != "cpu":
        raise HromError(f"device {device!r}: unsupported device type {dev.type!r}; expected cpu or cuda[:N]")
    return dev


class TorchBackend:
    """An HROM network in PyTorch: ``template_state`` once, ``search`` per frame, inference mode.

    ``channels_last`` (default: on for CPU) speeds up the HRNet convolutions on CPU by ~20%.
    """

    name = "torch"
    any_search_size = True  # fully convolutional: the lost-target search may use a larger crop

    def __init__(self, model, device: Any = "cpu", channels_last: bool | None = None):
        import torch

        from hrom.models.loaded import as_loaded

        loaded = as_loaded(model)
        self.device = check_device(device)
        if channels_last is None:
            channels_last = self.device.type == "cpu"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = loaded.model.to(self.device).eval().to(memory_format=self.memory_format)
        self.meta = dict(loaded.meta)
        self.config = loaded.config
        self.geometry = loaded.geometry
        self._state = None

    def _tensor(self, a: np.ndarray):
        import torch

        a = np.asarray(a)
        if any(st < 0 for st in a.strides):  # torch cannot wrap negative strides
            a = np.ascontiguousarray(a)
        t = torch.from_numpy(a if a.dtype == np.float32 else a.astype(np.float32))  # keeps strides: no copy
        return t.to(self.device).contiguous(memory_format=self.memory_format)

    def set_template(self, z: np.ndarray) -> None:
        import torch

        with torch.inference_mode():
            self._state = self.model.template_state(self._tensor(z))

    @property
    def template_state(self) -> tuple | None:
        """(channel mask, cls kernel, loc kernel) of the current template, as torch tensors (None before
        ``set_template``)."""
        return None if self._state is None else tuple(self._state)

    @template_state.setter
    def template_state(self, state) -> None:
        self._state = tuple(state)

    def search(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        if self._state is None:
            raise HromError("tracker: search() before set_template(); call init(image, box) first")
        with torch.inference_mode():
            cls, loc = self.model.search(self._tensor(x), *self._state)
        return cls.float().cpu().numpy(), loc.float().cpu().numpy()


def _torch_factory(model_spec: Any, device: Any) -> TorchBackend:
    from torch import nn

    from hrom.models.loaded import LoadedModel

    if isinstance(model_spec, (LoadedModel, nn.Module)):
        return TorchBackend(model_spec, device)
    from hrom.models.factory import create_model

    check_device(device)
    return TorchBackend(create_model(model_spec, device="cpu"), device)


_BACKENDS: dict[str, Callable[[Any, Any], Backend]] = {"torch": _torch_factory}

# Runtimes shipped with hrom in a higher layer: the module that registers each (imported on first use).
PLUGINS: dict[str, str] = {"onnx": "hrom.export.onnx_backend"}


def register_backend(name: str, factory: Callable[[Any, Any], Backend]) -> None:
    """Make ``make_backend(name, ...)`` available (e.g. an ONNX Runtime backend)."""
    _BACKENDS[name] = factory


def available_backends() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*_BACKENDS, *PLUGINS, *_entry_points()]))


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="hrom.backends")}


def _load_plugin(name: str) -> None:
    """Import the module that registers backend ``name`` (or load its entry point)."""
    if name in PLUGINS:
        importlib.import_module(PLUGINS[name])  # registers itself; its own errors (missing extras) pass through
    elif name in (eps := _entry_points()):
        register_backend(name, eps[name].load())


def make_backend(name: str, model_spec: Any, device: Any = "cpu") -> Backend:
    """A backend by name for ``model_spec`` (a LoadedModel, an HROM module, a preset / tag name or a
    checkpoint path; a backend may accept more, e.g. an ONNX export folder)."""
    if name not in _BACKENDS:
        _load_plugin(name)
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise HromError(f"unknown tracker backend {name!r}; available: {', '.join(available_backends())}") from None
    return factory(model_spec, device)
