"""Distillation from a pretrained tracker's backbone: what a from-scratch CPU run cannot learn.

No ImageNet weights can be had here, but NanoTrack v2's ONNX backbone (``../shared/peers``) was
trained on ImageNet and large tracking sets.  Its features are not ours (48 channels at stride 16
against HROM's 32-256 at stride 8), so what is transferred is their *structure*: for every search
crop, the matrix of cosine similarities between the teacher's cells, which the student's
neck features, sampled at the same image points, should reproduce (similarity-preserving
distillation, Tung & Mori 2019).  It needs no adapter layer, so the trained network keeps exactly
its own tensors, and it says which places look alike to a network that has seen far more data.

The teacher is an ONNX file that takes BGR crops with 0..255 values (OpenCV's convention, as
``cv2.TrackerNano`` feeds it) and returns one (1, C, h, w) map; a graph fixed to batch 1 is run
once per crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hrom.errors import HromError


@dataclass
class DistillConfig:
    """``weight`` 0: off.  ``teacher_stride``: pixels between the teacher's cells; cell j of an
    n-cell map sits at ``size // 2 + (j - n // 2) * teacher_stride`` (pysot / NanoTrack's points)."""

    teacher: str = ""  # ONNX backbone, e.g. ../shared/peers/nanotrack_v2/nanotrack_backbone_sim.onnx
    weight: float = 0.0
    teacher_stride: int = 16

    def __post_init__(self) -> None:
        if self.weight < 0 or self.teacher_stride < 1:
            raise HromError(f"distill.weight must be >= 0 and distill.teacher_stride >= 1, got {self.weight}, "
                            f"{self.teacher_stride}")
        if self.weight > 0 and not self.teacher:
            raise HromError("distill.weight > 0 needs distill.teacher: an ONNX backbone file (e.g. NanoTrack v2's "
                            "nanotrack_backbone_sim.onnx)")


def cosine_similarities(features: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) -> (B, N, N) cosine similarity between every two of the N = h*w cells."""
    f = F.normalize(features.flatten(2).float(), dim=1)
    return f.transpose(1, 2) @ f


def similarity_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the two maps' cell-to-cell cosine similarities (same h, w)."""
    if student.shape[-2:] != teacher.shape[-2:]:
        raise ValueError(f"student cells {tuple(student.shape[-2:])} != teacher cells {tuple(teacher.shape[-2:])}")
    return F.mse_loss(cosine_similarities(student), cosine_similarities(teacher))


def sampling_grid(teacher_cells: int, teacher_stride: int, student_cells: int, student_stride: int,
                  size: int) -> torch.Tensor:
    """(1, n, n, 2) ``grid_sample`` coordinates (align_corners=True) of the teacher's cell centres
    on a student map whose cell i covers pixels ``student_stride * i ..`` (centre + (stride-1)/2)."""
    p = size // 2 + (np.arange(teacher_cells) - teacher_cells // 2) * teacher_stride
    idx = (p - (student_stride - 1) / 2) / student_stride
    u = torch.tensor(idx / (student_cells - 1) * 2 - 1, dtype=torch.float32)
    gy, gx = torch.meshgrid(u, u, indexing="ij")
    return torch.stack([gx, gy], dim=-1)[None]


class OnnxTeacher:
    """An ONNX backbone run by onnxruntime on CPU (one thread: the student trains on the rest)."""

    def __init__(self, path: str | Path):
        path = Path(path)
        if not path.is_file():
            raise HromError(f"{path}: distill.teacher not found; expected an ONNX backbone file (e.g. NanoTrack v2's "
                            "nanotrack_backbone_sim.onnx)")
        try:
            import onnxruntime as ort
        except ImportError:
            raise HromError("distill.teacher needs onnxruntime: pip install 'hrom[onnx]'") from None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for unreadable / invalid graphs
            raise HromError(f"{path}: not a readable ONNX model ({str(exc).splitlines()[0]})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise HromError(f"{path}: a teacher backbone takes one (N, 3, H, W) image; this graph takes "
                            f"{[tuple(i.shape) for i in inputs]}")
        self.path = path
        self.input = inputs[0].name
        self.batch_one = inputs[0].shape[0] == 1

    def __call__(self, crops_rgb: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB crops with 0..255 values (the training pipeline's) -> (B, C, h, w)."""
        x = np.ascontiguousarray(crops_rgb.detach().float().cpu().numpy()[:, ::-1])
        try:
            if self.batch_one:
                outs = [self.session.run(None, {self.input: x[i:i + 1]})[0] for i in range(len(x))]
                out = np.concatenate(outs)
            else:
                out = self.session.run(None, {self.input: x})[0]
        except Exception as exc:
            raise HromError(f"{self.path}: the teacher failed on {tuple(x.shape)} crops "
                            f"({str(exc).splitlines()[0]})") from None
        if out.ndim != 4:
            raise HromError(f"{self.path}: a teacher backbone must return a (N, C, h, w) map, got shape {out.shape}")
        return torch.from_numpy(out)


class Distiller:
    """The distillation term for one model: a hook keeps the neck's last output (the search crops'
    features, since the search branch runs after the template branch), ``loss(search)`` compares
    it with the teacher's map of the same crops."""

    def __init__(self, teacher: OnnxTeacher, teacher_stride: int, model: torch.nn.Module, search_size: int,
                 stride: int):
        self.teacher, self.teacher_stride = teacher, teacher_stride
        self.search_size, self.stride = search_size, stride
        self._last: torch.Tensor | None = None
        self._grid: torch.Tensor | None = None
        self._handle = model.neck.register_forward_hook(self._keep)
        probe = teacher(torch.zeros(1, 3, search_size, search_size))  # a teacher that cannot run fails before training
        self.teacher_cells = probe.shape[-1]

    def _keep(self, module, inputs, output) -> None:
        self._last = output

    def loss(self, search: torch.Tensor) -> torch.Tensor:
        student, self._last = self._last, None
        if student is None:
            raise RuntimeError("Distiller.loss called before a forward pass of the model")
        if self._grid is None:
            self._grid = sampling_grid(self.teacher_cells, self.teacher_stride, student.shape[-1], self.stride,
                                       self.search_size).to(student.device)
        sampled = F.grid_sample(student.float(), self._grid.expand(student.shape[0], -1, -1, -1), align_corners=True)
        return similarity_loss(sampled, self.teacher(search).to(student.device))

    def close(self) -> None:
        self._handle.remove()
