"""LaSOT: the 280-sequence test split (``lasot``) or every sequence under the root (``lasot_full``).

``<root>/<class>/<class>-<n>/img/00000001.jpg``, ``groundtruth.txt`` (``x,y,w,h``),
``full_occlusion.txt`` and ``out_of_view.txt`` (one line of comma-separated 0/1 per frame).
The flat layout ``<root>/<class>-<n>/img`` (pysot's testing folder) works too. The test split
list is ``lasot_test.txt`` next to this module (the official ``testing_set.txt``); a
``testing_set.txt`` in the root takes precedence. The 14 sequence attributes are read from
pysot's ``LaSOT.json`` (``attr``) when it sits in the root; per frame, full occlusion and
out-of-view become ``tags`` and ``absent``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hrom.annotations import read_flags, read_number_table
from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import OPEBenchmark
from hrom.benchmarks.sequence import Sequence, count_mismatch, list_images
from hrom.errors import HromError
from hrom.paths import safe_name

ATTRIBUTES = ("IV", "POC", "DEF", "MB", "CM", "ROT", "BC", "VC", "SV", "FOC", "FM", "OV", "LR", "ARC")
ATTRIBUTE_NAMES = {
    "Illumination Variation": "IV", "Partial Occlusion": "POC", "Deformation": "DEF", "Motion Blur": "MB",
    "Camera Motion": "CM", "Rotation": "ROT", "Background Clutter": "BC", "Viewpoint Change": "VC",
    "Scale Variation": "SV", "Full Occlusion": "FOC", "Fast Motion": "FM", "Out-of-View": "OV",
    "Low Resolution": "LR", "Aspect Ration Change": "ARC", "Aspect Ratio Change": "ARC",
}


def test_split(root: Path | None = None) -> list[str]:
    f = Path(root) / "testing_set.txt" if root is not None else None
    if f is None or not f.is_file():
        f = Path(__file__).with_name("lasot_test.txt")
    return sorted(safe_name(x.strip(), "sequence name", f) for x in f.read_text().split() if x.strip())


class LaSOTReader(Reader):
    def __init__(self, root: Path, version: str = "lasot", partial: bool = False):
        super().__init__(root, partial)
        self._dirs: dict[str, Path] = {}
        if version == "lasot":
            wanted = test_split(self.root)
            missing = []
            for name in wanted:
                d = self._find(name)
                if d is None:
                    missing.append(name)
                else:
                    self._dirs[name] = d
            self.check_missing(missing, len(wanted), "<root>/<class>/<class>-<n>/groundtruth.txt")
        else:
            for gt in sorted(self.root.glob("*/*/groundtruth.txt")) + sorted(self.root.glob("*/groundtruth.txt")):
                self._dirs.setdefault(gt.parent.name, gt.parent)
            if not self._dirs:
                raise HromError(f"{self.root}: no LaSOT sequences; expected <root>/<class>/<class>-<n>/groundtruth.txt")
        self._attrs = self.pysot_attributes("LaSOT.json", ATTRIBUTE_NAMES)

    def _find(self, name: str) -> Path | None:
        cls = name.rsplit("-", 1)[0]
        for d in (self.root / cls / name, self.root / name):
            if (d / "groundtruth.txt").is_file():
                return d
        return None

    def names(self) -> list[str]:
        return sorted(self._dirs)

    def load(self, name: str) -> Sequence:
        if name not in self._dirs:
            raise HromError(f"{name}: not a sequence of this benchmark under {self.root}")
        d = self._dirs[name]
        gt_file = d / "groundtruth.txt"
        boxes = read_number_table(gt_file)
        frames = list_images(d / "img", name)
        if len(frames) != len(boxes):
            raise count_mismatch(name, gt_file, len(boxes), len(frames), d / "img")
        tags = {}
        for key in ("full_occlusion", "out_of_view"):
            f = d / f"{key}.txt"
            if f.is_file():
                tags[key] = read_flags(f, len(frames)) > 0
        absent = None
        if tags:
            absent = np.logical_or.reduce(list(tags.values()))
        return Sequence(name=name, frames=frames, boxes=boxes, attributes=self._attrs.get(name, ()),
                        tags=tags, absent=absent)


class LaSOTBenchmark(OPEBenchmark):
    """LaSOT: one-pass; absent frames count for no threshold but stay in the denominator (LaSOT
    toolkit, pysot); the table shows pysot's normalized precision at 0.2 too."""

    rules = "lasot"
    columns = ("success_auc", "precision_20px", "norm_precision", "norm_precision_0.2", "fps")

    def __init__(self, name: str, folder: str, version: str, **kwargs):
        super().__init__(name, folder, **kwargs)
        self.version = version

    def reader(self, root: Path, partial: bool) -> Reader:
        return LaSOTReader(root, self.version, partial=partial)
