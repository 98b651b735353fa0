"""Typed configuration of the training-pair pipeline (defaults = SiamRPN++'s training recipe).

Loadable from YAML / overridable from the command line through :mod:`hrom.config`, e.g.::

    data:
      samples_per_epoch: 600000
      sources:
        - {type: vid, root: /data/ILSVRC2015, frame_range: 100}
        - {type: pysot, root: /data/yt_bb, frame_range: 3, weight: 2.0}
        - {type: coco, root: /data/coco}
    # --set data.search.blur=0.0 --set data.neg=0.1
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hrom.errors import HromError

SOURCE_TYPES = ("coco", "vid", "det", "got10k", "lasot", "pysot", "voc", "yolo", "masks", "sequences", "video", "synthetic")
# Readers that check each annotation entry and can skip the bad ones with a count (``skip_bad``);
# the large curated sets (VID, DET, GOT-10k, LaSOT, pysot crops) stop at the first bad entry.
SKIP_BAD_TYPES = ("coco", "voc", "yolo", "masks", "sequences", "video")


@dataclass
class SourceConfig:
    """One training source.  ``weight`` is its relative share of the sampled pairs."""

    type: str = "got10k"  # one of SOURCE_TYPES
    root: str = ""  # dataset root folder (unused by 'synthetic')
    name: str = ""  # label in logs / cache files; defaults to the type
    weight: float = 1.0  # relative sampling probability of this source
    frame_range: int = 100  # max frame-number gap template <-> search (VID 100, YouTube-BB 3)
    split: str = ""  # coco: train2017; vid / det / got10k: train
    anno: str = ""  # pysot: annotation json (default <root>/train.json); lasot: testing_set.txt;
    #                 coco: the json (default <root>/annotations/instances_<split>.json); video: box-file folder
    images: str = ""  # voc / coco: image folder when it is not the standard one
    skip_bad: bool = False  # skip bad entries (missing image, box outside the image...) with a count
    include: list[str] = field(default_factory=list)  # only these sequence / video / image names (empty: all)
    exclude: list[str] = field(default_factory=list)  # names left out (e.g. a held-out validation split)
    num_sequences: int = 16  # synthetic only: how many generated sequences
    num_frames: int = 60  # synthetic only: frames per generated sequence

    @property
    def label(self) -> str:
        return self.name or self.type


@dataclass
class AugmentConfig:
    """Per-crop augmentation (pysot names): probabilities for blur / flip / color."""

    shift: float = 0.0  # max translation of the crop, output pixels (uniform in +-shift)
    scale: float = 0.0  # max relative scale change per axis (uniform in 1 +- scale)
    blur: float = 0.0  # probability of a motion blur
    flip: float = 0.0  # probability of a horizontal flip
    color: float = 1.0  # probability of the PCA colour (lighting) jitter


def _template_aug() -> AugmentConfig:
    return AugmentConfig(shift=4.0, scale=0.05, blur=0.0, flip=0.0, color=1.0)


def _search_aug() -> AugmentConfig:
    return AugmentConfig(shift=64.0, scale=0.18, blur=0.2, flip=0.0, color=1.0)


@dataclass
class DataConfig:
    """Sources, augmentations and anchor-target sampling for training pairs (crop sizes and anchors
    are the model's: ``TrackingPairDataset(..., geometry=model_config.geometry)``)."""

    sources: list[SourceConfig] = field(default_factory=list)
    samples_per_epoch: int = 600000  # pairs per epoch over all ranks (pysot VIDEOS_PER_EPOCH)
    seed: int = 0  # pairs are a pure function of (seed, rank, epoch, index)
    template_size: int | None = None  # hrom 0.1 key: crop sizes are the model's (ModelConfig); if set, must agree
    search_size: int | None = None  # hrom 0.1 key, likewise
    context_amount: float = 0.5  # context square side: sqrt((w + c(w+h)) (h + c(w+h)))
    template: AugmentConfig = field(default_factory=_template_aug)
    search: AugmentConfig = field(default_factory=_search_aug)
    neg: float = 0.2  # probability of a negative pair (template and search of different objects)
    # share of the negative pairs whose search object is another object of the template's own
    # video or image, at the nearest frame (DaSiamRPN's same-scene distractors); the rest, and
    # every pair from a one-object video, take a random track of any source
    neg_same_video: float = 0.0
    gray: float = 0.0  # probability of turning both crops grayscale
    color_strength: float = 1.0  # PCA lighting std, in multiples of SiamRPN++'s
    blur_max_size: int = 21  # longest motion-blur kernel (pixels, odd)
    pos_iou: float = 0.6  # anchor positive when IoU > pos_iou
    neg_iou: float = 0.3  # anchor negative when IoU < neg_iou
    pos_num: int = 16  # at most this many positive anchors sampled
    total_num: int = 64  # positives + negatives sampled for a positive pair
    neg_pair_num: int = 16  # negatives sampled near the distractor in a negative pair
    cache_dir: str = ""  # folder for annotation-index caches ('' = no cache)
    crop_cache: bool = False  # also cache 511-px context crops there (faster on big frames)

    def validate(self) -> DataConfig:
        if not self.sources:
            raise HromError("data.sources: no training source configured; add e.g. {type: got10k, root: /data/GOT-10k}")
        for i, src in enumerate(self.sources):
            where = f"data.sources[{i}]"
            if src.type not in SOURCE_TYPES:
                raise HromError(f"{where}.type: unknown source type {src.type!r}; expected one of {', '.join(SOURCE_TYPES)}")
            if src.skip_bad and src.type not in SKIP_BAD_TYPES:
                raise HromError(f"{where}.skip_bad: not supported by {src.type} sources (they stop at the first bad "
                                f"entry); supported by {', '.join(SKIP_BAD_TYPES)}")
            if src.type == "synthetic" and (src.include or src.exclude):
                raise HromError(f"{where}: include / exclude name real sequences; a synthetic source has none")
            if src.type != "synthetic" and not src.root:
                raise HromError(f"{where}.root: empty; expected the {src.type} dataset folder")
            if not src.weight > 0:
                raise HromError(f"{where}.weight: {src.weight} must be > 0")
            if src.frame_range < 0:
                raise HromError(f"{where}.frame_range: {src.frame_range} must be >= 0")
        labels = [s.label for s in self.sources]
        if len(set(labels)) != len(labels):
            raise HromError(f"data.sources: duplicate names {labels}; give each source a distinct 'name'")
        if self.samples_per_epoch < 1:
            raise HromError(f"data.samples_per_epoch: {self.samples_per_epoch} must be >= 1")
        for key in ("neg", "neg_same_video", "gray", "pos_iou", "neg_iou"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise HromError(f"data.{key}: {getattr(self, key)} must be within [0, 1]")
        if self.pos_num > self.total_num:
            raise HromError(f"data.pos_num ({self.pos_num}) must not exceed data.total_num ({self.total_num})")
        if self.crop_cache and not self.cache_dir:
            raise HromError("data.crop_cache: needs data.cache_dir (where to keep the crops)")
        return self

    def check_geometry(self, template_size: int, search_size: int) -> None:
        """Refuse (one line) hrom 0.1 crop sizes that disagree with the model being trained."""
        for key, value in (("template_size", template_size), ("search_size", search_size)):
            given = getattr(self, key)
            if given is not None and given != value:
                raise HromError(f"data.{key}: {given} conflicts with the model's {key} {value}; crop sizes come from "
                                "the model (ModelConfig), remove the key")
