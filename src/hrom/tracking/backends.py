"""Network backends behind the Siamese tracker.

A backend turns crops into raw maps and nothing else, so any runtime (PyTorch now, ONNX Runtime
later) reuses the same cropping and post-processing.  Contract:

- ``set_template(z)``: ``z`` float32 (1, 3, 127, 127), RGB 0..255; computes and keeps the
  template state (once per video).
- ``search(x)`` -> ``(cls, loc)``: ``x`` float32 (1, 3, S, S); numpy float32 maps
  (1, 2A, s, s) and (1, 4A, s, s) in pysot's layout.
- ``name`` (str) and ``meta`` (dict; may hold ``tracker_hp`` from a checkpoint).

Add a runtime with ``register_backend("name", factory)``; ``factory(model_spec, device)``.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np

from hrom.errors import HromError


class Backend(Protocol):
    name: str
    meta: dict

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

    def __init__(self, model, device: Any = "cpu", channels_last: bool | None = None):
        import torch

        self.device = check_device(device)
        if channels_last is None:
            channels_last = self.device.type == "cpu"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model = model.to(self.device).eval().to(memory_format=self.memory_format)
        self.meta = dict(getattr(model, "checkpoint_meta", {}) or {})
        self.config = model.config
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

    def search(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        if self._state is None:
            raise HromError("tracker: search() before set_template(); call init(image, box) first")
        with torch.inference_mode():
            cls, loc = self.model.search(self._tensor(x), *self._state)
        return cls.float().cpu().numpy(), loc.float().cpu().numpy()


def _torch_factory(model_spec: Any, device: Any) -> TorchBackend:
    from torch import nn

    if isinstance(model_spec, nn.Module):
        return TorchBackend(model_spec, device)
    from hrom.models.checkpoint import resolve_model

    check_device(device)
    return TorchBackend(resolve_model(model_spec, "cpu"), device)


def _onnx_factory(model_spec: Any, device: Any) -> Backend:
    from hrom.export.onnx_backend import make_onnx_backend  # needs hrom[onnx]; says so if missing

    return make_onnx_backend(model_spec, device)


_BACKENDS: dict[str, Callable[[Any, Any], Backend]] = {"torch": _torch_factory, "onnx": _onnx_factory}


def register_backend(name: str, factory: Callable[[Any, Any], Backend]) -> None:
    """Make ``make_backend(name, ...)`` available (e.g. an ONNX Runtime backend)."""
    _BACKENDS[name] = factory


def available_backends() -> tuple[str, ...]:
    return tuple(_BACKENDS)


def make_backend(name: str, model_spec: Any, device: Any = "cpu") -> Backend:
    """A backend by name for ``model_spec`` (an HROM module, a preset name or a checkpoint path)."""
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise HromError(f"unknown tracker backend {name!r}; available: {', '.join(_BACKENDS)}") from None
    return factory(model_spec, device)
