"""VOT-2018 (short-term, baseline experiment) from a VOT toolkit workspace or pysot's folder.

Workspace: ``<ws>/sequences/list.txt``; per sequence a ``sequence`` file of ``key=value`` lines
(``channels.color=color/%08d.jpg``), the frames, ``groundtruth.txt`` with 8 polygon values
``x1,y1,...,x4,y4`` (or 4 values ``x,y,w,h``) per line and per-frame ``*.tag`` files (one 0/1
per line, missing trailing lines = 0). Older workspaces without a ``sequence`` file keep the
JPEGs in the sequence folder (or ``color/``). pysot's layout is ``<root>/VOT2018.json`` with
``img_names``, ``gt_rect`` and per-frame tag lists, images under ``<root>/<seq>/color/``.
Polygons are kept for the VOT overlap; ``boxes`` are their axis-aligned hull. Trackers are
(re)started with :func:`~hrom.benchmarks.sequence.vot_init_box` (pysot's VOT convention).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hrom.annotations import read_flags, read_number_table
from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import Benchmark, OPEBenchmark
from hrom.benchmarks.plots import plot_eao_curve
from hrom.benchmarks.protocols import run_vot_baseline
from hrom.benchmarks.results import VOTLayout
from hrom.benchmarks.scoring import score_vot
from hrom.benchmarks.sequence import Sequence, check_frames_exist, list_images, polygon_to_hull, rect_to_polygon
from hrom.errors import HromError
from hrom.paths import safe_name

TAGS = ("camera_motion", "illum_change", "motion_change", "occlusion", "size_change")


def _polygons(values: np.ndarray) -> np.ndarray:
    return values if values.shape[1] == 8 else rect_to_polygon(values)


class VOTReader(Reader):
    def __init__(self, root: Path, version: str = "vot2018", partial: bool = False):
        super().__init__(root, partial)
        self.json_file = None
        for base in (self.root / "sequences", self.root):
            if (base / "list.txt").is_file():
                self.seq_root = base
                break
        else:
            js = self.root / "VOT2018.json"
            if not js.is_file():
                raise HromError(f"{self.root}: no sequences/list.txt or VOT2018.json; expected a VOT workspace "
                                f"(<ws>/sequences/list.txt) or pysot's VOT2018 folder")
            self.seq_root = self.root
            self.json_file = js
        if self.json_file is not None:
            try:
                self._json = json.loads(self.json_file.read_text())
            except ValueError as exc:
                raise HromError(f"{self.json_file}: not valid JSON ({exc})") from None
            if not isinstance(self._json, dict):
                raise HromError(f"{self.json_file}: expected {{sequence: {{img_names, gt_rect, ...}}}}")
            self._names = sorted(safe_name(k, "sequence name", self.json_file) for k in self._json)
        else:
            list_file = self.seq_root / "list.txt"
            listed = [safe_name(s.strip(), "sequence name", list_file)
                      for s in list_file.read_text().splitlines() if s.strip()]
            missing = [s for s in listed if not (self.seq_root / s / "groundtruth.txt").is_file()]
            self.check_missing(missing, len(listed), "<ws>/sequences/<seq>/groundtruth.txt for each name in list.txt")
            self._names = [s for s in listed if s not in missing]

    def names(self) -> list[str]:
        return list(self._names)

    def load(self, name: str) -> Sequence:
        if name not in self._names:
            raise HromError(f"{name}: not listed in {self.json_file or self.seq_root / 'list.txt'}")
        if self.json_file is not None:
            return self._load_json(name)
        d = self.seq_root / name
        gt_file = d / "groundtruth.txt"
        gt = read_number_table(gt_file, widths=(4, 8), what="x1,y1,...,x4,y4 or x,y,w,h")
        meta = {}
        seq_file = d / "sequence"
        if seq_file.is_file():
            for line in seq_file.read_text().splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    meta[k.strip()] = v.strip()
            pattern = meta.get("channels.color")
            if not pattern:
                raise HromError(f"{seq_file}: no channels.color=... line; expected e.g. channels.color=color/%08d.jpg")
            try:
                frames = [d / (pattern % (i + 1)) for i in range(len(gt))]
            except (TypeError, ValueError):
                raise HromError(f"{seq_file}: channels.color={pattern!r} is not a %d pattern") from None
            check_frames_exist(frames, name)
        else:
            img_dir = d / "color" if (d / "color").is_dir() else d
            frames = list_images(img_dir, name)
            if len(frames) != len(gt):
                raise HromError(f"{name}: {gt_file} has {len(gt)} regions but {img_dir} has {len(frames)} frames; "
                                f"expected one region per frame")
        tags = {}
        for f in sorted(list(d.glob("*.tag")) + list(d.glob("*.label"))):
            tags[f.stem] = read_flags(f, len(frames)) > 0
        polys = _polygons(gt)
        meta.update(init_rule="vot", vot_regions=gt)
        return Sequence(name=name, frames=frames, boxes=polygon_to_hull(polys), polygons=polys, tags=tags, meta=meta)

    def _load_json(self, name: str) -> Sequence:
        info = self._json[name]
        try:
            frames = [self.root / p for p in info["img_names"]]
            gt = np.asarray(info["gt_rect"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise HromError(f"{self.json_file}: entry {name} lacks img_names/gt_rect ({exc})") from None
        if gt.ndim != 2 or gt.shape[1] not in (4, 8) or len(gt) != len(frames):
            raise HromError(f"{self.json_file}: {name} has {len(gt)} regions for {len(frames)} frames; expected one 4/8-value region per frame")
        if not frames[0].is_file():
            # pysot's JSON names images "<seq>/color/..."; some copies drop the "color/" folder
            alt = [self.root / name / "color" / p.name for p in frames]
            frames = alt if alt[0].is_file() else frames
        check_frames_exist(frames, name)
        tags = {t: np.asarray(info[t], dtype=bool)[: len(frames)] for t in TAGS if t in info}
        polys = _polygons(gt)
        return Sequence(name=name, frames=frames, boxes=polygon_to_hull(polys), polygons=polys, tags=tags,
                        meta={"init_rule": "vot", "vot_regions": gt})


class VOTBaselineBenchmark(Benchmark):
    """The VOT baseline (supervised) experiment: re-initialised five frames after each failure;
    accuracy, robustness and EAO on the pixel-raster overlap chosen with ``--overlap`` (pysot's
    ``AccuracyRobustnessBenchmark`` + ``EAOBenchmark``)."""

    layout = VOTLayout()
    scoring = "vot"
    primary = "eao"
    columns = ("eao", "accuracy", "robustness", "lost_number", "fps")
    attribute_metric = "accuracy"
    overlap_matters = True

    def reader(self, root: Path, partial: bool) -> Reader:
        return VOTReader(root, partial=partial)

    def run(self, tracker, seq, on_frame=None, overlap="vot2018"):
        return run_vot_baseline(tracker, seq, on_frame, overlap=overlap)

    def score(self, seqs, tracker_dir, overlap="vot2018"):
        return score_vot(seqs, tracker_dir, overlap=overlap)

    def plot_curves(self, report, out):
        return plot_eao_curve(report, out, self.ranked(report))


class VOTOnePassBenchmark(OPEBenchmark):
    """A VOT workspace run once without re-initialisation, scored like OTB on the polygons'
    axis-aligned hulls (success / precision next to OTB numbers)."""

    rules = "otb"

    def reader(self, root: Path, partial: bool) -> Reader:
        return VOTReader(root, partial=partial)
