"""Result files in the layouts other toolkits read and write (written atomically).

- OPE (OTB, UAV, LaSOT, GOT-10k val): ``<tracker>/<seq>.txt`` (one ``x,y,w,h`` per frame) and
  ``<tracker>/times/<seq>_time.txt`` (seconds per frame, as the GOT-10k toolkit keeps them).
- GOT-10k test submission: ``<tracker>/<seq>/<seq>_001.txt`` and ``<tracker>/<seq>/<seq>_time.txt``.
- VOT baseline: ``<tracker>/baseline/<seq>/<seq>_001.txt`` (``1`` init, ``2`` failure, ``0``
  skipped, else the box) and ``<seq>_time.txt`` next to it.
Readers also accept the GOT-10k toolkit layout for OPE results (``<seq>/<seq>_001.txt``) and
pysot's OTB file names (``jogging_1.txt``, ``human4_2.txt``, lowercase first letter).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hrom.errors import HromError
from hrom.benchmarks.sequence import read_matrix
from hrom.io import atomic_write_text


def format_boxes(boxes: np.ndarray) -> str:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return ("%.4f,%.4f,%.4f,%.4f\n" * len(b)) % tuple(b.ravel())


def format_times(times) -> str:
    t = np.asarray(times, dtype=np.float64)
    return (("%.8f\n" * len(t)) % tuple(t)).replace("nan", "NaN")


def format_vot_lines(lines: list) -> str:
    out = []
    for item in lines:
        if isinstance(item, (int, np.integer)):
            out.append(str(int(item)))
        else:
            out.append(",".join(f"{v:.4f}" for v in item))
    return "\n".join(out) + "\n"


# ---- paths -----------------------------------------------------------------------------------

def ope_file(tracker_dir: Path, seq: str) -> Path:
    return Path(tracker_dir) / f"{seq}.txt"


def ope_time_file(tracker_dir: Path, seq: str) -> Path:
    return Path(tracker_dir) / "times" / f"{seq}_time.txt"


def got10k_file(tracker_dir: Path, seq: str, rep: int = 1) -> Path:
    return Path(tracker_dir) / seq / f"{seq}_{rep:03d}.txt"


def vot_file(tracker_dir: Path, seq: str, rep: int = 1) -> Path:
    return Path(tracker_dir) / "baseline" / seq / f"{seq}_{rep:03d}.txt"


def result_file(protocol: str, tracker_dir: Path, seq: str) -> Path:
    """The file whose existence marks a finished sequence (what resume checks)."""
    if protocol == "vot":
        return vot_file(tracker_dir, seq)
    if protocol == "got10k":
        return got10k_file(tracker_dir, seq)
    return ope_file(tracker_dir, seq)


def write_sequence_result(protocol: str, tracker_dir: Path, seq: str, output, times) -> None:
    """Times first, the result file last: the result file is the completion marker."""
    tracker_dir = Path(tracker_dir)
    if protocol == "vot":
        atomic_write_text(vot_file(tracker_dir, seq).with_name(f"{seq}_time.txt"), format_times(times))
        atomic_write_text(vot_file(tracker_dir, seq), format_vot_lines(output))
    elif protocol == "got10k":
        atomic_write_text(tracker_dir / seq / f"{seq}_time.txt", format_times(times))
        atomic_write_text(got10k_file(tracker_dir, seq), format_boxes(output))
    else:
        atomic_write_text(ope_time_file(tracker_dir, seq), format_times(times))
        atomic_write_text(ope_file(tracker_dir, seq), format_boxes(output))


# ---- reading ---------------------------------------------------------------------------------

_SPLIT = re.compile(r"[,\s]+")


def _pysot_aliases(seq: str) -> list[str]:
    names = [seq]
    m = re.match(r"^(.*)-(\d)$", seq)
    if m:
        names.append(f"{m.group(1).lower()}_{m.group(2)}")
    names.append(seq[:1].lower() + seq[1:])
    names.append(seq.lower())
    if seq == "Human4":
        names += ["Human4-2", "human4_2"]
    return names


def read_box_file(path: Path, n_frames: int | None = None) -> np.ndarray:
    """(N, 4) boxes from a result file with commas, tabs or spaces; VOT codes are not allowed here."""
    text = Path(path).read_text()
    boxes = None
    try:  # fast path: a well-formed file is one flat run of numbers, 4 per non-empty line
        vals = np.array(text.replace(",", " ").split(), dtype=np.float64)
        if len(vals) == 4 * sum(1 for line in text.splitlines() if line.strip()):
            boxes = vals.reshape(-1, 4)
    except ValueError:
        pass
    if boxes is None:  # the line-by-line reader names the first bad line
        boxes = read_matrix(Path(path), (4,), "x,y,w,h")
    if n_frames is not None and len(boxes) != n_frames:
        raise HromError(f"{path}: {len(boxes)} boxes for a sequence of {n_frames} frames; expected one box per frame")
    return boxes


def find_ope_results(tracker_dir: Path, seq: str) -> list[Path]:
    """Result files (one per repetition) of ``seq`` in any supported OPE layout."""
    tracker_dir = Path(tracker_dir)
    for name in _pysot_aliases(seq):
        f = tracker_dir / f"{name}.txt"
        if f.is_file():
            return [f]
    reps = sorted((tracker_dir / seq).glob(f"{seq}_[0-9][0-9][0-9].txt"))
    return reps


def find_times(tracker_dir: Path, seq: str) -> np.ndarray | None:
    tracker_dir = Path(tracker_dir)
    for f in (tracker_dir / "times" / f"{seq}_time.txt", tracker_dir / seq / f"{seq}_time.txt",
              tracker_dir / "baseline" / seq / f"{seq}_time.txt", tracker_dir / f"{seq}_time.txt"):
        if f.is_file():
            return np.array(f.read_text().replace(",", " ").split(), dtype=np.float64)
    return None


def read_vot_file(path: Path) -> list[list[float]]:
    """VOT baseline records: ``[1]``, ``[2]``, ``[0]`` or 4 / 8 region values per line."""
    out = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.strip()
        if not text:
            continue
        try:
            vals = [float(p) for p in _SPLIT.split(text) if p]
        except ValueError:
            raise HromError(f"{path}:{lineno}: cannot read {text!r}; expected 0/1/2 or a region") from None
        if len(vals) not in (1, 4, 8):
            raise HromError(f"{path}:{lineno}: {len(vals)} values; expected a code (0/1/2), x,y,w,h or 8 polygon values")
        out.append(vals)
    return out


def find_vot_results(tracker_dir: Path, seq: str) -> list[Path]:
    return sorted((Path(tracker_dir) / "baseline" / seq).glob(f"{seq}_[0-9][0-9][0-9].txt"))
