"""OTB-2015 (OTB100) and its OTB50 / OTB2013 subsets in the original layout.

``<root>/<Seq>/img/0001.jpg``, ``<root>/<Seq>/groundtruth_rect.txt`` (commas, tabs or spaces).
Two-target sequences carry ``groundtruth_rect.1.txt`` / ``.2.txt`` and become ``<Seq>-1`` /
``<Seq>-2`` (pysot's names); an empty annotation file is ignored (Human4 has only ``.2``, so it
stays ``Human4``). A folder with several non-empty annotation files gives one target per file,
numbered in file-name order like the GOT-10k toolkit (``.1``, ``.2``, then a plain
``groundtruth_rect.txt`` as ``-3``; the toolkit calls them ``Jogging.1`` ...). Sequences whose box count differs from their image count are cut to the
official frame range (OTB ``configSeqs``; the same cuts as the GOT-10k toolkit).
Attributes (11 per sequence) are not part of the sequence folders: they are read from pysot's
``OTB100.json`` / ``OTB50.json`` / ``CVPR13.json`` (``attr``) when one sits in the root.
"""

from __future__ import annotations

import re
from pathlib import Path

from hrom.annotations import read_number_table
from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import OPEBenchmark
from hrom.benchmarks.sequence import Sequence, count_mismatch, list_images
from hrom.errors import HromError

ATTRIBUTES = ("IV", "SV", "OCC", "DEF", "MB", "FM", "IPR", "OPR", "OV", "BC", "LR")
ATTRIBUTE_NAMES = {
    "Illumination Variation": "IV", "Scale Variation": "SV", "Occlusion": "OCC", "Deformation": "DEF",
    "Motion Blur": "MB", "Fast Motion": "FM", "In-Plane Rotation": "IPR", "Out-of-Plane Rotation": "OPR",
    "Out-of-View": "OV", "Background Clutters": "BC", "Background Clutter": "BC", "Low Resolution": "LR",
}

# Official first/last image numbers where the annotation covers only part of the image folder.
FRAME_RANGES = {"David": (300, 770), "Football1": (1, 74), "Freeman3": (1, 460), "Freeman4": (1, 283),
                "Diving": (1, 215), "Tiger1": (6, 354)}

OTB2013 = """Basketball Bolt Boy Car4 CarDark CarScale Coke Couple Crossing David David2 David3 Deer Dog1 Doll
Dudek FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 Freeman1 Freeman3 Freeman4 Girl Ironman Jogging
Jumping Lemming Liquor Matrix Mhyang MotorRolling MountainBike Shaking Singer1 Singer2 Skating1 Skiing Soccer
Subway Suv Sylvester Tiger1 Tiger2 Trellis Walking Walking2 Woman""".split()
TB50 = """Basketball Biker Bird1 BlurBody BlurCar2 BlurFace BlurOwl Bolt Box Car1 Car4 CarDark CarScale ClifBar
Couple Crowds David Deer Diving DragonBaby Dudek Football Freeman4 Girl Human3 Human4 Human6 Human9 Ironman
Jump Jumping Liquor Matrix MotorRolling Panda RedTeam Shaking Singer2 Skating1 Skating2 Skiing Soccer Surfer
Sylvester Tiger2 Trellis Walking Walking2 Woman""".split()
TB100 = sorted("""Bird2 BlurCar1 BlurCar3 BlurCar4 Board Bolt2 Boy Car2 Car24 Coke Coupon Crossing Dancer Dancer2
David2 David3 Dog Dog1 Doll FaceOcc1 FaceOcc2 Fish FleetFace Football1 Freeman1 Freeman3 Girl2 Gym Human2
Human5 Human7 Human8 Jogging KiteSurf Lemming Man Mhyang MountainBike Rubik Singer1 Skater Skater2 Subway Suv
Tiger1 Toy Trans Twinnings Vase""".split() + TB50)

VERSIONS = {"otb100": (TB100, "OTB100"), "otb50": (TB50, "OTB50"), "otb2013": (OTB2013, "CVPR13")}
_GT = re.compile(r"^groundtruth_rect(?:\.(\d+))?\.txt$")


def _frame_number(path: Path) -> int:
    digits = re.sub(r"\D", "", path.stem)
    return int(digits) if digits else -1


class OTBReader(Reader):
    def __init__(self, root: Path, version: str = "otb100", partial: bool = False):
        super().__init__(root, partial)
        folders, pysot_name = VERSIONS[version]
        self.pysot_json = pysot_name + ".json"
        self._targets: dict[str, tuple[str, Path]] = {}
        missing = []
        for folder in folders:
            d = self.root / folder
            if not d.is_dir():
                missing.append(folder)
                continue
            files = sorted(f for f in d.iterdir() if _GT.match(f.name) and f.stat().st_size > 0 and f.read_text().strip())
            if not files:
                raise HromError(f"{folder}: no non-empty groundtruth_rect.txt in {d}")
            if len(files) == 1:
                self._targets[folder] = (folder, files[0])
            else:  # one target per file, numbered in file-name order as the GOT-10k toolkit does
                for k, f in enumerate(files, 1):
                    self._targets[f"{folder}-{k}"] = (folder, f)
        self.check_missing(missing, len(folders), f"OTB folders <root>/<Seq>/img + groundtruth_rect.txt ({version})")
        self._attrs = self.pysot_attributes(self.pysot_json, ATTRIBUTE_NAMES)

    def names(self) -> list[str]:
        return sorted(self._targets)

    def load(self, name: str) -> Sequence:
        if name not in self._targets:
            raise HromError(f"{name}: not a sequence of this benchmark under {self.root}")
        folder, gt_file = self._targets[name]
        boxes = read_number_table(gt_file)
        images = list_images(self.root / folder / "img", name)
        if len(images) != len(boxes):
            rng = FRAME_RANGES.get(folder)
            cut = [p for p in images if rng and rng[0] <= _frame_number(p) <= rng[1]]
            if not rng or len(cut) != len(boxes):
                raise count_mismatch(name, gt_file, len(boxes), len(images), self.root / folder / "img")
            images = cut
        return Sequence(name=name, frames=images, boxes=boxes, attributes=self._attrs.get(name, ()))


class OTBBenchmark(OPEBenchmark):
    """OTB-2015 and its subsets: one-pass, every frame scored, the first box replaced by the
    ground truth (GOT-10k toolkit's ``ExperimentOTB``)."""

    rules = "otb"

    def __init__(self, name: str, folder: str, version: str, **kwargs):
        super().__init__(name, folder, **kwargs)
        self.version = version

    def reader(self, root: Path, partial: bool) -> Reader:
        return OTBReader(root, self.version, partial=partial)
