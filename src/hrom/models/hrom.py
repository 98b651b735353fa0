"""The HROM network: HRNet backbone -> representation head -> object-aware masks -> deformable RPN."""

from __future__ import annotations

import torch
from torch import nn

from hrom.models.config import ModelConfig
from hrom.models.hrnet import HRNetBackbone
from hrom.models.masks import ChannelMask, SpatialMask
from hrom.models.neck import RepresentationHead
from hrom.models.rpn import DeformableRPN

# ImageNet statistics in the 0..255 range: normalisation is part of the network, so callers
# (the tracker, the exported ONNX graphs) feed raw RGB pixels.
_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)

TemplateState = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class HROM(nn.Module):
    """Siamese HROM network.

    Input images are float RGB in 0..255, shape (B, 3, H, W): templates 127x127, search regions
    255x255.  ``template_state(z)`` returns the tensors the search pass needs (channel mask and
    the two RPN kernels), ``search(x, *state)`` returns ``(cls, loc)``, ``forward(z, x)`` does both
    for training / export.  The module keeps no tracking state: a tracker holds the template state
    (``hrom.tracking`` backends), so one network can serve several videos at once.
    """

    def __init__(self, config: ModelConfig | None = None):
        super().__init__()
        self.config = cfg = config or ModelConfig()
        self.register_buffer("pixel_mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.backbone = HRNetBackbone(cfg.width, cfg.stem_channels, cfg.stage1_blocks, cfg.blocks_per_branch, cfg.stage3_modules, cfg.r4_blocks)
        self.neck = RepresentationHead(self.backbone.channels, cfg.representations, cfg.feature_channels)
        self.channel_mask = ChannelMask(cfg.feature_channels, cfg.mask_reduction) if cfg.channel_mask else None
        self.spatial_mask_z = SpatialMask() if cfg.spatial_mask else None
        self.spatial_mask_x = SpatialMask() if cfg.spatial_mask else None
        self.rpn = DeformableRPN(cfg.feature_channels, cfg.anchor_num, cfg.deformable, cfg.loc_hidden)

    # -- building blocks -------------------------------------------------------------------
    def features(self, img: torch.Tensor) -> torch.Tensor:
        """R(img): the aggregated 256-channel representation at stride 8."""
        return self.neck(self.backbone((img - self.pixel_mean) / self.pixel_std))

    def crop_template(self, f: torch.Tensor) -> torch.Tensor:
        """Keep the centre ``template_crop`` x ``template_crop`` cells (16x16 -> 8x8)."""
        k = self.config.template_crop
        h, w = f.shape[-2:]
        if h <= k:
            return f
        t, l = (h - k) // 2, (w - k) // 2
        return f[:, :, t:t + k, l:l + k]

    def template_state(self, z: torch.Tensor) -> TemplateState:
        """Template branch: (channel mask (B,C,1,1), cls kernel, loc kernel)."""
        f = self.crop_template(self.features(z))
        if self.channel_mask is not None:
            mask = self.channel_mask(f)
            f = f * mask
        else:
            mask = torch.ones(f.shape[0], f.shape[1], 1, 1, dtype=f.dtype, device=f.device)
        if self.spatial_mask_z is not None:
            f = f * self.spatial_mask_z(f)
        k_cls, k_loc = self.rpn.kernels(f)
        return mask, k_cls, k_loc

    def search(self, x: torch.Tensor, mask: torch.Tensor, k_cls: torch.Tensor, k_loc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Search branch against a template state: (cls (B,2A,h,w), loc (B,4A,h,w))."""
        f = self.features(x)
        if self.channel_mask is not None:
            f = f * mask
        if self.spatial_mask_x is not None:
            f = f * self.spatial_mask_x(f)
        return self.rpn.search(f, k_cls, k_loc)

    # -- public API ------------------------------------------------------------------------
    def forward(self, z: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.search(x, *self.template_state(z))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parts(self) -> dict[str, list[nn.Module]]:
        """Top-level parts, for parameter reports and freezing schedules."""
        masks = [m for m in (self.channel_mask, self.spatial_mask_z, self.spatial_mask_x) if m is not None]
        return {"backbone": [self.backbone], "neck": [self.neck], "masks": masks, "rpn": [self.rpn]}

