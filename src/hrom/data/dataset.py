"""Training pairs drawn on the fly from raw frames of a weighted mix of sources.

Every pair is a pure function of ``(seed, epoch, index)``: the random generator of item
``index`` is seeded with those three numbers, so results are reproducible and DataLoader
workers need no shared state. The dataset is the same on every DDP process (an epoch has
``samples_per_epoch`` items); the sampler of :func:`hrom.data.loader.build_dataloader` gives
each rank its own indices.

Sampling follows SiamRPN++: pick a source by weight, a video uniformly, one of its tracks
uniformly, a template frame uniformly, and a search frame within ``frame_range`` frame
numbers of it.  With probability ``neg`` the search frame comes from another track (any
source): a negative pair, labelled all-negative around that distractor.  A share
``neg_same_video`` of those take the distractor from the template's own video or image (another
person in the same photo, another car on the same street), at the frame nearest the template's.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from hrom.data.anchor_target import AnchorTargetBuilder
from hrom.data.augment import motion_blur, pca_lighting, to_gray
from hrom.data.config import AugmentConfig, DataConfig, SourceConfig
from hrom.data.sources import box_in_crop, load_source
from hrom.data.tracks import TrackSet
from hrom.errors import HromError
from hrom.geometry import crop_transform, mean_color, warp_crop
from hrom.io import atomic_write_bytes
from hrom.models.config import ModelConfig
from hrom.models.head_geometry import HeadGeometry


class TrackingPairDataset(Dataset):
    """Map-style dataset of template/search pairs with anchor targets (see module doc).

    ``sources`` may be given directly (TrackSets, e.g. a synthetic one); ``cfg.sources`` then
    supplies their weights / frame ranges in the same order, or defaults when it is empty.
    ``geometry`` is the trained model's (``ModelConfig.geometry``; default: the paper's).
    Items are dicts of tensors: template (3,127,127) and search (3,255,255) float32 RGB
    0..255, label_cls (A,25,25) int64, label_loc (4,A,25,25), label_loc_weight (A,25,25),
    bbox (4,) x1,y1,x2,y2 of the search crop's object, neg (scalar, 1.0 for negative pairs).
    """

    def __init__(
        self,
        cfg: DataConfig,
        epoch: int = 0,
        sources: list[TrackSet] | None = None,
        geometry: HeadGeometry | None = None,
    ):
        if sources is None:
            cfg.validate()
            sources = [load_source(s, cfg.cache_dir or None) for s in cfg.sources]
            src_cfgs = list(cfg.sources)
        else:
            if not sources:
                raise HromError("TrackingPairDataset: no source given")
            src_cfgs = list(cfg.sources) if cfg.sources else [SourceConfig(name=s.name) for s in sources]
            if len(src_cfgs) != len(sources):
                raise HromError(f"{len(sources)} sources given but data.sources configures {len(src_cfgs)}")
        if cfg.neg > 0 and sum(len(s) for s in sources) < 2:
            raise HromError("data.neg > 0 needs at least two tracks in total to make negative pairs")
        self.cfg = cfg
        self.sources = sources
        self.frame_ranges = [s.frame_range for s in src_cfgs]
        w = np.asarray([s.weight for s in src_cfgs], dtype=np.float64)
        self.weights = w / w.sum()
        self.epoch = epoch
        self.length = cfg.samples_per_epoch
        self.geometry = geometry = geometry or ModelConfig().geometry
        cfg.check_geometry(geometry.template_size, geometry.search_size)
        self.score_size = geometry.score_size
        self.targets = AnchorTargetBuilder(
            geometry,
            cfg.pos_iou,
            cfg.neg_iou,
            cfg.pos_num,
            cfg.total_num,
            cfg.neg_pair_num,
        )
        self.cache_size = self._cache_crop_size()

    # -- epochs / indexing ---------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """The epoch of plain integer keys (``ds[i]``); the loader's sampler passes ``(epoch, i)``."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key) -> dict[str, torch.Tensor]:
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        s = self.sample(int(epoch), int(index))
        return {
            "template": torch.from_numpy(s["template"]),
            "search": torch.from_numpy(s["search"]),
            "label_cls": torch.from_numpy(s["label_cls"]),
            "label_loc": torch.from_numpy(s["label_loc"]),
            "label_loc_weight": torch.from_numpy(s["label_loc_weight"]),
            "bbox": torch.from_numpy(s["bbox"]),
            "neg": torch.tensor(1.0 if s["neg"] else 0.0, dtype=torch.float32),
        }

    def rng(self, epoch: int, index: int) -> np.random.Generator:
        return np.random.default_rng([self.cfg.seed, epoch, index])

    # -- sampling ------------------------------------------------------------------------
    def _pick_track(self, rng: np.random.Generator) -> tuple[int, int]:
        si = int(rng.choice(len(self.sources), p=self.weights))
        src = self.sources[si]
        v = int(rng.integers(src.num_videos))
        tr = src.video_tracks(v)
        return si, int(rng.integers(tr.start, tr.stop))

    def pick_frames(self, rng: np.random.Generator, neg: bool) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """((source, track, frame) of the template, same for the search)."""
        si, t = self._pick_track(rng)
        ids = self.sources[si].track_frame_ids(t)
        tj = int(rng.integers(len(ids)))
        if not neg:
            near = np.flatnonzero(np.abs(ids - ids[tj]) <= self.frame_ranges[si])
            return (si, t, tj), (si, t, int(rng.choice(near)))
        if self.cfg.neg_same_video > 0 and rng.random() < self.cfg.neg_same_video:
            src = self.sources[si]
            tracks = src.video_tracks(int(src.track_video[t]))
            if len(tracks) > 1:
                u = int(tracks[int(rng.integers(len(tracks) - 1))])
                u = u if u < t else u + 1  # any track of the video but t
                other = src.track_frame_ids(u)
                return (si, t, tj), (si, u, int(np.argmin(np.abs(other - ids[tj]))))
        for _ in range(100):
            sk, u = self._pick_track(rng)
            if (sk, u) != (si, t):
                break
        else:  # pragma: no cover - only with a near-degenerate mix
            raise HromError("could not draw a negative pair: every draw hit the same track; add sources/tracks")
        return (si, t, tj), (sk, u, int(rng.integers(self.sources[sk].track_length(u))))

    def sample(self, epoch: int, index: int) -> dict:
        """One pair as numpy arrays (plus 'neg' and the frame paths), for inspection and tests."""
        cfg = self.cfg
        rng = self.rng(epoch, index)
        neg = bool(rng.random() < cfg.neg)
        gray = bool(rng.random() < cfg.gray)
        (si, t, tj), (sk, u, sj) = self.pick_frames(rng, neg)
        z_img, z_box = self._frame(si, t, tj)
        x_img, x_box = self._frame(sk, u, sj)
        template, _ = self._crop(z_img, z_box, self.geometry.template_size, cfg.template, gray, rng)
        search, bbox = self._crop(x_img, x_box, self.geometry.search_size, cfg.search, gray, rng)
        tg = self.targets(bbox, neg, rng)
        return {
            "template": template,
            "search": search,
            "label_cls": tg.cls,
            "label_loc": tg.loc,
            "label_loc_weight": tg.loc_weight,
            "bbox": bbox,
            "neg": neg,
            "template_path": self.sources[si].frame_path(t, tj),
            "search_path": self.sources[sk].frame_path(u, sj),
        }

    # -- frames and crops ----------------------------------------------------------------
    def _crop(
        self, image: np.ndarray, box: np.ndarray, size: int, aug: AugmentConfig, gray: bool, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        scale = (1.0 + rng.uniform(-1, 1) * aug.scale, 1.0 + rng.uniform(-1, 1) * aug.scale)
        shift = (rng.uniform(-1, 1) * aug.shift, rng.uniform(-1, 1) * aug.shift)
        flip = bool(rng.random() < aug.flip)
        m, bbox = crop_transform(box, size, self.geometry.template_size, self.cfg.context_amount, scale, shift, flip)
        crop = warp_crop(image, m, size, mean_color(image))
        if rng.random() < aug.color:
            crop = pca_lighting(crop, rng, self.cfg.color_strength)
        if gray:  # after the lighting noise, so a gray pair stays gray
            crop = to_gray(crop)
        if rng.random() < aug.blur:
            crop = motion_blur(crop, rng, self.cfg.blur_max_size)
        rgb = np.ascontiguousarray(crop[..., ::-1].transpose(2, 0, 1), dtype=np.float32)
        return rgb, bbox

    def _frame(self, si: int, t: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """(BGR image, x,y,w,h box) of a frame, via the on-disk crop cache when enabled."""
        src = self.sources[si]
        path, box = src.frame_path(t, j), src.frame_box(t, j)
        if not self.cfg.crop_cache or src.square_size:
            return src.read_image(path), box
        cfg, c, z_size = self.cfg, self.cache_size, self.geometry.template_size
        key = hashlib.sha1(f"{path}|{box.tolist()}|{c}|{z_size}|{cfg.context_amount}".encode()).hexdigest()
        cached = Path(cfg.cache_dir) / "crops" / src.name / key[:2] / f"{key}.jpg"
        cbox = np.asarray(box_in_crop(box[2], box[3], c, z_size, cfg.context_amount), np.float32)
        img = cv2.imread(str(cached), cv2.IMREAD_COLOR) if cached.is_file() else None
        if img is None:
            raw = src.read_image(path)
            m, _ = crop_transform(box, c, z_size, cfg.context_amount)
            img = warp_crop(raw, m, c, mean_color(raw))
            ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            if ok:
                atomic_write_bytes(cached, jpeg.tobytes())
        return img, cbox

    def _cache_crop_size(self) -> int:
        """Side of cached context crops: 511 (pysot) or more if the augmentation reaches further."""
        cfg, g = self.cfg, self.geometry
        reach = max(
            (g.search_size - 1) / 2 * (1 + cfg.search.scale) + cfg.search.shift,
            (g.template_size - 1) / 2 * (1 + cfg.template.scale) + cfg.template.shift,
        )
        return max(511, 2 * math.ceil(reach + 2) + 1)
