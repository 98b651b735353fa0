"""UAV123, UAV123_10fps and UAV20L in the layout of the official download.

``<root>/data_seq/UAV123[_10fps]/<folder>/000001.jpg`` and ``<root>/anno/<VERSION>/<name>.txt``
(``x,y,w,h``; ``NaN`` rows where the target is not visible). Several targets are frame
sub-ranges of one folder (``truck4_1`` / ``truck4_2``): the official ranges (UAV123
``configSeqs.m``, also shipped by the GOT-10k toolkit) are in ``uav123_ranges.json`` next to this
module. UAV123_10fps keeps every third frame of the 30 fps video, so its ranges start at
``(start - 1) // 3 + 1`` and run for as many frames as the annotation has rows.
Attributes: ``anno/<VERSION>/att/<name>.txt`` (12 comma-separated 0/1 flags, official order
below) when present, else pysot's ``UAV123.json`` / ``UAV20L.json`` ``attr`` lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hrom.annotations import read_number_table
from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import OPEBenchmark
from hrom.benchmarks.sequence import Sequence, check_frames_exist
from hrom.errors import HromError

ATTRIBUTES = ("SV", "ARC", "LR", "FM", "FOC", "POC", "OV", "BC", "IV", "VC", "CM", "SOB")
ATTRIBUTE_NAMES = {
    "Scale Variation": "SV", "Aspect Ratio Change": "ARC", "Low Resolution": "LR", "Fast Motion": "FM",
    "Full Occlusion": "FOC", "Partial Occlusion": "POC", "Out-of-View": "OV", "Background Clutter": "BC",
    "Illumination Variation": "IV", "Viewpoint Change": "VC", "Camera Motion": "CM", "Similar Object": "SOB",
}
# version -> (folder under data_seq, folder under anno, table in uav123_ranges.json, frame step)
VERSIONS = {
    "uav123": ("UAV123", "UAV123", "UAV123", 1),
    "uav123_10fps": ("UAV123_10fps", "UAV123_10fps", "UAV123", 3),
    "uav20l": ("UAV123", "UAV20L", "UAV20L", 1),
}


def official_ranges() -> dict[str, dict[str, list]]:
    """``{"UAV123": {name: [folder, start, end]}, "UAV20L": {...}}`` (30 fps frame numbers)."""
    return json.loads((Path(__file__).with_name("uav123_ranges.json")).read_text())


class UAVReader(Reader):
    def __init__(self, root: Path, version: str = "uav123", partial: bool = False):
        super().__init__(root, partial)
        self.version = version
        self.data_dir, anno_dir, table, self.step = VERSIONS[version]
        self.anno_dir = self.root / "anno" / anno_dir
        self.table = official_ranges()[table]
        if not self.anno_dir.is_dir():
            raise HromError(f"{self.root}: {self.anno_dir} not found; expected the {anno_dir} layout "
                            f"<root>/anno/{anno_dir}/<name>.txt and <root>/data_seq/{self.data_dir}/<folder>/000001.jpg")
        missing = [n for n in self.table if not (self.anno_dir / f"{n}.txt").is_file()]
        self.check_missing(missing, len(self.table), f"<root>/anno/{anno_dir}/<name>.txt")
        self._names = sorted(n for n in self.table if n not in missing)
        self._pysot_attrs = self.pysot_attributes(f"{table}.json", ATTRIBUTE_NAMES)

    def names(self) -> list[str]:
        return list(self._names)

    def _attributes(self, name: str) -> tuple[str, ...]:
        f = self.anno_dir / "att" / f"{name}.txt"
        if f.is_file():
            flags = read_number_table(f, widths=(len(ATTRIBUTES),), what="12 attribute flags")[0]
            return tuple(a for a, v in zip(ATTRIBUTES, flags) if v > 0)
        return self._pysot_attrs.get(name, ())

    def load(self, name: str) -> Sequence:
        if name not in self.table:
            raise HromError(f"{name}: not a sequence of {self.version}")
        folder, start, end = self.table[name]
        gt_file = self.anno_dir / f"{name}.txt"
        boxes = read_number_table(gt_file)
        if self.step == 1:
            if end - start + 1 != len(boxes):
                raise HromError(f"{name}: {gt_file} has {len(boxes)} boxes; the official range {start}-{end} "
                                f"of {folder} has {end - start + 1} frames")
        else:
            start = (start - 1) // self.step + 1
        frame_dir = self.root / "data_seq" / self.data_dir / folder
        if not frame_dir.is_dir():
            raise HromError(f"{name}: image folder {frame_dir} not found")
        frames = [frame_dir / f"{i:06d}.jpg" for i in range(start, start + len(boxes))]
        check_frames_exist(frames, name)
        absent = np.isnan(boxes).any(axis=1)
        return Sequence(name=name, frames=frames, boxes=boxes, attributes=self._attributes(name),
                        absent=absent, meta={"folder": folder, "start_frame": start})


class UAVBenchmark(OPEBenchmark):
    """UAV123 / UAV123_10fps / UAV20L: one-pass, frames without ground truth dropped (GOT-10k
    toolkit's ``ExperimentUAV123``)."""

    rules = "uav"

    def __init__(self, name: str, folder: str, version: str, **kwargs):
        super().__init__(name, folder, **kwargs)
        self.version = version

    def reader(self, root: Path, partial: bool) -> Reader:
        return UAVReader(root, self.version, partial=partial)
