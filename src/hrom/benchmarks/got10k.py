"""GOT-10k val and test splits.

``<root>/<split>/list.txt``, ``<split>/<seq>/00000001.jpg``, ``groundtruth.txt`` (test: first
line only), ``absence.label``, ``cover.label``, ``cut_by_image.label``, ``meta_info.ini``
(``resolution: (W, H)`` is the bound used by the official IoU). The root may also be the split
folder itself. Val scoring uses frames 2.. with ``cover > 0``, as the official toolkit does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from hrom.annotations import read_flags, read_number_table
from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import OPEBenchmark
from hrom.benchmarks.plots import plot_got10k_success
from hrom.benchmarks.results import SubmissionLayout
from hrom.benchmarks.scoring import score_got10k
from hrom.benchmarks.sequence import Sequence, count_mismatch, list_images
from hrom.errors import HromError
from hrom.paths import safe_name

LABELS = ("absence", "cover", "cut_by_image")


def read_meta_info(path: Path) -> dict[str, str]:
    meta = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                meta[k.strip()] = v.strip()
    return meta


class GOT10kReader(Reader):
    def __init__(self, root: Path, split: str = "val", partial: bool = False):
        super().__init__(root, partial)
        self.split = split
        for base in (self.root / split, self.root):
            if (base / "list.txt").is_file():
                self.split_dir = base
                break
        else:
            raise HromError(f"{self.root}: {self.root / split / 'list.txt'} not found; expected the GOT-10k layout "
                            f"<root>/{split}/list.txt + <root>/{split}/GOT-10k_{split.capitalize()}_000001/")
        list_file = self.split_dir / "list.txt"
        listed = [safe_name(s.strip(), "sequence name", list_file) for s in list_file.read_text().splitlines() if s.strip()]
        missing = [s for s in listed if not (self.split_dir / s / "groundtruth.txt").is_file()]
        self.check_missing(missing, len(listed), f"<root>/{split}/<seq>/groundtruth.txt for each name in list.txt")
        self._names = [s for s in listed if s not in missing]

    def names(self) -> list[str]:
        return list(self._names)

    def load(self, name: str) -> Sequence:
        if name not in self._names:
            raise HromError(f"{name}: not listed in {self.split_dir / 'list.txt'}")
        d = self.split_dir / name
        gt_file = d / "groundtruth.txt"
        gt = read_number_table(gt_file)
        frames = list_images(d, name)
        if self.split == "test":
            boxes = np.full((len(frames), 4), np.nan)
            boxes[0] = gt[0]
        else:
            if len(gt) != len(frames):
                raise count_mismatch(name, gt_file, len(gt), len(frames), d)
            boxes = gt
        meta = read_meta_info(d / "meta_info.ini")
        tags = {}
        for key in LABELS:
            f = d / f"{key}.label"
            if f.is_file():
                tags[key] = read_flags(f, len(frames))
        if "resolution" in meta:
            try:
                meta["resolution"] = tuple(ast.literal_eval(meta["resolution"]))
            except (ValueError, SyntaxError):
                raise HromError(f"{d / 'meta_info.ini'}: resolution {meta['resolution']!r}; expected (W, H)") from None
        absent = tags["absence"] > 0 if "absence" in tags else None
        return Sequence(name=name, frames=frames, boxes=boxes, tags=tags, absent=absent, meta=meta)


class GOT10kBenchmark(OPEBenchmark):
    """GOT-10k val: one-pass; AO and success rates over frames 2.. with ``cover > 0``, boxes
    clipped to the image (GOT-10k toolkit's ``ExperimentGOT10k``)."""

    scoring = "got10k"
    primary = "ao"
    columns = ("ao", "sr_0.5", "sr_0.75", "fps")

    def __init__(self, name: str, folder: str, split: str, **kwargs):
        super().__init__(name, folder, **kwargs)
        self.split = split

    def reader(self, root: Path, partial: bool) -> Reader:
        return GOT10kReader(root, self.split, partial=partial)

    def score(self, seqs, tracker_dir, overlap="vot2018"):
        return score_got10k(seqs, tracker_dir)

    def plot_curves(self, report, out):
        return plot_got10k_success(report, out)


class GOT10kTestBenchmark(GOT10kBenchmark):
    """GOT-10k test: the server's submission layout; the ground truth is withheld."""

    layout = SubmissionLayout()
    scoring = "none"
    scorable = False

    def score(self, seqs, tracker_dir, overlap="vot2018"):
        raise HromError("GOT-10k test ground truth is withheld: upload the <tracker>/<seq>/<seq>_001.txt files "
                        "to the GOT-10k server instead of scoring locally")
