"""Result files in the layouts other toolkits read and write (written atomically).

- OPE (OTB, UAV, LaSOT, GOT-10k val): ``<tracker>/<seq>.txt`` (one ``x,y,w,h`` per frame) and
  ``<tracker>/times/<seq>_time.txt`` (seconds per frame, as the GOT-10k toolkit keeps them).
- GOT-10k test submission: ``<tracker>/<seq>/<seq>_001.txt`` and ``<tracker>/<seq>/<seq>_time.txt``.
- VOT baseline: ``<tracker>/baseline/<seq>/<seq>_001.txt`` (``1`` init, ``2`` failure, ``0``
  skipped, else the box) and ``<seq>_time.txt`` next to it.
- Repetitions: ``<seq>_001.txt``, ``<seq>_002.txt`` ... (OPE benchmarks then use the GOT-10k
  toolkit layout ``<tracker>/<seq>/<seq>_00k.txt``); the time file gets one comma-separated
  column per repetition, as the GOT-10k toolkit writes it.
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
from hrom.paths import safe_name


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


def result_file(protocol: str, tracker_dir: Path, seq: str, rep: int = 1, repetitions: int = 1) -> Path:
    """The result file of repetition ``rep`` (what resume checks)."""
    seq = safe_name(seq, "sequence name")
    if protocol == "vot":
        return vot_file(tracker_dir, seq, rep)
    if protocol == "got10k" or repetitions > 1:
        return got10k_file(tracker_dir, seq, rep)
    return ope_file(tracker_dir, seq)


def time_file(protocol: str, tracker_dir: Path, seq: str, repetitions: int = 1) -> Path:
    seq = safe_name(seq, "sequence name")
    if protocol == "vot":
        return vot_file(tracker_dir, seq).with_name(f"{seq}_time.txt")
    if protocol == "got10k" or repetitions > 1:
        return Path(tracker_dir) / seq / f"{seq}_time.txt"
    return ope_time_file(tracker_dir, seq)


def format_result(protocol: str, output) -> str:
    return format_vot_lines(output) if protocol == "vot" else format_boxes(output)


def _time_columns(path: Path, n_frames: int, keep: int) -> np.ndarray:
    """The first ``keep`` repetition columns of an existing time file (NaN where missing)."""
    cols = np.full((n_frames, keep), np.nan)
    if keep and path.is_file():
        try:
            rows = [[float(v) for v in line.replace(",", " ").split()] for line in path.read_text().splitlines() if line.strip()]
        except ValueError:
            rows = []
        for i, r in enumerate(rows[:n_frames]):
            m = min(len(r), keep)
            cols[i, :m] = r[:m]
    return cols


def write_sequence_result(protocol: str, tracker_dir: Path, seq: str, output, times, rep: int = 1,
                          repetitions: int = 1) -> None:
    """Times first, the result file last: the result file is the completion marker.

    Repetition ``rep`` becomes column ``rep`` of the time file (earlier columns are kept)."""
    t = np.asarray(times, dtype=np.float64).reshape(-1, 1)
    tf = time_file(protocol, tracker_dir, seq, repetitions)
    if rep > 1:
        t = np.hstack([_time_columns(tf, len(t), rep - 1), t])
    if t.shape[1] == 1:
        atomic_write_text(tf, format_times(t[:, 0]))
    else:
        text = "\n".join(",".join(f"{v:.8f}" for v in row) for row in t).replace("nan", "NaN") + "\n"
        atomic_write_text(tf, text)
    atomic_write_text(result_file(protocol, tracker_dir, seq, rep, repetitions), format_result(protocol, output))


def result_is_complete(protocol: str, path: Path, n_frames: int) -> bool:
    """True when ``path`` holds one well-formed line per frame (a file cut short, or with a
    malformed line, is tracked again on resume)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        if protocol == "vot":
            recs = read_vot_file(path)
            return len(recs) == n_frames and len(recs[0]) == 1 and recs[0][0] == 1
        read_box_file(path, n_frames)
        return True
    except (HromError, OSError, ValueError):
        return False


# ---- reading ---------------------------------------------------------------------------------

_SPLIT = re.compile(r"[,\s]+")


def _pysot_aliases(seq: str) -> list[str]:
    names = [seq]
    m = re.match(r"^(.*)-(\d)$", seq)
    if m:
        names += [f"{m.group(1).lower()}_{m.group(2)}", f"{m.group(1)}.{m.group(2)}"]  # pysot, GOT-10k toolkit
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
    reps = sorted((tracker_dir / seq).glob(f"{seq}_[0-9][0-9][0-9].txt"))
    if reps:  # repetitions (GOT-10k toolkit layout) win over a single <seq>.txt from an earlier run
        return reps
    for name in _pysot_aliases(seq):
        f = tracker_dir / f"{name}.txt"
        if f.is_file():
            return [f]
    return []


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
