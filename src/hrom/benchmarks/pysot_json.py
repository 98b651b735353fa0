"""Any benchmark described by one of pysot's dataset JSON files (``OTB100.json``, ``UAV123.json``,
``LaSOT.json``, ``VOT2018.json``, ...): ``{video: {img_names, gt_rect, attr, [absent]}}`` with
image paths relative to the folder holding the JSON. pysot's ``absent`` lists are 1 where the
target is visible (pysot scores the frames with ``absent == 1``), so ``Sequence.absent`` is
``absent == 0``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import OPEBenchmark
from hrom.benchmarks.sequence import Sequence, check_frames_exist, polygon_to_hull
from hrom.errors import HromError
from hrom.paths import safe_name


def is_pysot_dataset(path: Path) -> bool:
    """A full pysot dataset file (with image lists), not just an attribute table."""
    try:
        data = json.loads(Path(path).read_text())
        first = next(iter(data.values()))
        return isinstance(first, dict) and "img_names" in first
    except (ValueError, StopIteration, AttributeError, OSError):
        return False


class PysotJSONReader(Reader):
    def __init__(self, json_file: Path, partial: bool = False):
        json_file = Path(json_file)
        if not json_file.is_file():
            raise HromError(f"{json_file}: pysot dataset JSON not found")
        super().__init__(json_file.parent, partial)
        self.json_file = json_file
        try:
            self._data = json.loads(json_file.read_text())
        except ValueError as exc:
            raise HromError(f"{json_file}: not valid JSON ({exc})") from None
        if not isinstance(self._data, dict) or not self._data:
            raise HromError(f"{json_file}: expected {{video: {{img_names, gt_rect, ...}}}}")
        for key in self._data:
            safe_name(key, "sequence name", json_file)

    def names(self) -> list[str]:
        return sorted(self._data)

    def load(self, name: str) -> Sequence:
        info = self._data.get(name)
        if not isinstance(info, dict) or "img_names" not in info or "gt_rect" not in info:
            raise HromError(f"{self.json_file}: entry {name!r} lacks img_names/gt_rect")
        frames = [self.root / p for p in info["img_names"]]
        rows = [list(r) if len(r) else [np.nan] * 4 for r in info["gt_rect"]]
        try:
            gt = np.asarray(rows, dtype=np.float64)
        except ValueError:
            raise HromError(f"{self.json_file}: {name} gt_rect rows have different lengths") from None
        if gt.ndim != 2 or gt.shape[1] not in (4, 8) or len(gt) != len(frames):
            raise HromError(f"{self.json_file}: {name} has {len(gt)} boxes for {len(frames)} images; expected one per image")
        check_frames_exist(frames, name)
        polys = gt if gt.shape[1] == 8 else None
        boxes = polygon_to_hull(gt) if polys is not None else gt
        absent = None
        if isinstance(info.get("absent"), list) and len(info["absent"]) == len(frames):
            absent = np.asarray(info["absent"], dtype=np.float64) == 0
        return Sequence(name=name, frames=frames, boxes=boxes, polygons=polys,
                        attributes=tuple(info.get("attr", ())), absent=absent)


class PysotBenchmark(OPEBenchmark):
    """``pysot:FILE.json``: any pysot dataset file, one-pass, scored with the UAV123 rules (frames
    without ground truth are dropped)."""

    rules = "uav"

    def __init__(self, name: str, json_file: str | Path):
        super().__init__(name, Path(json_file).stem.replace("_new", ""))
        self.json_file = Path(json_file)

    def reader(self, root: Path, partial: bool) -> Reader:
        return PysotJSONReader(self.json_file, partial)
