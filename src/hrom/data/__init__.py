"""Training data: dataset readers, on-the-fly pair sampling with SiamRPN++ augmentations,
anchor targets and the DataLoader (see README, "Training data")."""

from hrom.data.anchor_target import AnchorTargetBuilder, AnchorTargets
from hrom.data.config import AugmentConfig, DataConfig, SourceConfig
from hrom.data.dataset import TrackingPairDataset
from hrom.data.loader import build_dataloader
from hrom.data.sources import (
    load_source,
    read_coco,
    read_got10k,
    read_imagenet_det,
    read_imagenet_vid,
    read_lasot,
    read_pysot_crops,
)
from hrom.data.synthetic import SyntheticSpec, synthetic_source
from hrom.data.tracks import Track, TrackSet

__all__ = [
    "AnchorTargetBuilder",
    "AnchorTargets",
    "AugmentConfig",
    "DataConfig",
    "SourceConfig",
    "SyntheticSpec",
    "Track",
    "TrackSet",
    "TrackingPairDataset",
    "build_dataloader",
    "load_source",
    "read_coco",
    "read_got10k",
    "read_imagenet_det",
    "read_imagenet_vid",
    "read_lasot",
    "read_pysot_crops",
    "synthetic_source",
]
