"""Result files in the layouts other toolkits read and write (written atomically).

- OPE (OTB, UAV, LaSOT, GOT-10k val): ``<tracker>/<seq>.txt`` (one ``x,y,w,h`` per frame) and
  ``<tracker>/times/<seq>_time.txt`` (seconds per frame, as the GOT-10k toolkit keeps them).
- GOT-10k test submission: ``<tracker>/<seq>/<seq>_001.txt`` and ``<tracker>/<seq>/<seq>_time.txt``.
- VOT baseline: ``<tracker>/baseline/<seq>/<seq>_001.txt`` (``1`` init, ``2`` failure, ``0``
  skipped, else the box) and ``<seq>_time.txt`` next to it.
- Repetitions: ``<seq>_001.txt``, ``<seq>_002.txt`` ... (OPE benchmarks then use the GOT-10k
  toolkit layout ``<tracker>/<seq>/<seq>_00k.txt``); the time file gets one comma-separated
  column per repetition, as the GOT-10k toolkit writes it.
Each is a :class:`ResultLayout` (``OPELayout``, ``SubmissionLayout``, ``VOTLayout``) that a
benchmark holds. Readers also accept the GOT-10k toolkit layout for OPE results
(``<seq>/<seq>_001.txt``) and pysot's OTB file names (``jogging_1.txt``, ``human4_2.txt``,
lowercase first letter).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hrom.annotations import fields, number_lines, read_number_table
from hrom.errors import HromError
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


# ---- layouts: where one protocol's files go ------------------------------------------------

class ResultLayout:
    """Where a protocol's result and time files go, and what a result line holds. The result
    file is written last, so it marks the repetition as done (what resume checks)."""

    name = ""

    def result_path(self, tracker_dir: Path, seq: str, rep: int = 1, repetitions: int = 1) -> Path:
        raise NotImplementedError

    def time_path(self, tracker_dir: Path, seq: str, repetitions: int = 1) -> Path:
        raise NotImplementedError

    def format(self, output) -> str:
        raise NotImplementedError

    def is_complete(self, path: Path, n_frames: int) -> bool:
        """True when ``path`` holds one well-formed line per frame (a file cut short, or with a
        malformed line, is tracked again on resume)."""
        raise NotImplementedError

    def write(self, tracker_dir: Path, seq: str, output, times, rep: int = 1, repetitions: int = 1) -> None:
        """Times first, the result file last. Repetition ``rep`` becomes column ``rep`` of the
        time file (earlier columns are kept)."""
        t = np.asarray(times, dtype=np.float64).reshape(-1, 1)
        tf = self.time_path(tracker_dir, seq, repetitions)
        if rep > 1:
            t = np.hstack([_time_columns(tf, len(t), rep - 1), t])
        if t.shape[1] == 1:
            atomic_write_text(tf, format_times(t[:, 0]))
        else:
            text = "\n".join(",".join(f"{v:.8f}" for v in row) for row in t).replace("nan", "NaN") + "\n"
            atomic_write_text(tf, text)
        atomic_write_text(self.result_path(tracker_dir, seq, rep, repetitions), self.format(output))


class OPELayout(ResultLayout):
    """``<tracker>/<seq>.txt`` + ``times/<seq>_time.txt``; with repetitions the GOT-10k toolkit's
    ``<seq>/<seq>_00k.txt`` + ``<seq>/<seq>_time.txt``."""

    name = "ope"

    def _per_sequence_folder(self, repetitions: int) -> bool:
        return repetitions > 1

    def result_path(self, tracker_dir: Path, seq: str, rep: int = 1, repetitions: int = 1) -> Path:
        seq = safe_name(seq, "sequence name")
        if self._per_sequence_folder(repetitions):
            return Path(tracker_dir) / seq / f"{seq}_{rep:03d}.txt"
        return Path(tracker_dir) / f"{seq}.txt"

    def time_path(self, tracker_dir: Path, seq: str, repetitions: int = 1) -> Path:
        seq = safe_name(seq, "sequence name")
        if self._per_sequence_folder(repetitions):
            return Path(tracker_dir) / seq / f"{seq}_time.txt"
        return Path(tracker_dir) / "times" / f"{seq}_time.txt"

    def format(self, output) -> str:
        return format_boxes(output)

    def is_complete(self, path: Path, n_frames: int) -> bool:
        try:
            read_box_file(path, n_frames)
            return True
        except (HromError, OSError, ValueError):
            return False


class SubmissionLayout(OPELayout):
    """The GOT-10k test server's: always ``<seq>/<seq>_00k.txt`` + ``<seq>/<seq>_time.txt``."""

    name = "got10k"

    def _per_sequence_folder(self, repetitions: int) -> bool:
        return True


class VOTLayout(ResultLayout):
    """VOT baseline: ``baseline/<seq>/<seq>_00k.txt`` (``1`` init, ``2`` failure, ``0`` skipped,
    else the region) + ``baseline/<seq>/<seq>_time.txt``."""

    name = "vot"

    def result_path(self, tracker_dir: Path, seq: str, rep: int = 1, repetitions: int = 1) -> Path:
        seq = safe_name(seq, "sequence name")
        return Path(tracker_dir) / "baseline" / seq / f"{seq}_{rep:03d}.txt"

    def time_path(self, tracker_dir: Path, seq: str, repetitions: int = 1) -> Path:
        seq = safe_name(seq, "sequence name")
        return Path(tracker_dir) / "baseline" / seq / f"{seq}_time.txt"

    def format(self, output) -> str:
        return format_vot_lines(output)

    def is_complete(self, path: Path, n_frames: int) -> bool:
        try:
            recs = read_vot_file(path)
        except (HromError, OSError, ValueError):
            return False
        return len(recs) == n_frames and recs[:1] == [[1.0]]


LAYOUTS = {layout.name: layout for layout in (OPELayout(), SubmissionLayout(), VOTLayout())}


def write_sequence_result(layout: str | ResultLayout, tracker_dir: Path, seq: str, output, times, rep: int = 1,
                          repetitions: int = 1) -> None:
    """Write one repetition's result and time files in ``layout`` (a :class:`ResultLayout` or
    its name: ``ope``, ``got10k``, ``vot``)."""
    if isinstance(layout, str):
        layout = LAYOUTS[layout]
    layout.write(tracker_dir, seq, output, times, rep, repetitions)


def _time_columns(path: Path, n_frames: int, keep: int) -> np.ndarray:
    """The first ``keep`` repetition columns of an existing time file (NaN where missing)."""
    cols = np.full((n_frames, keep), np.nan)
    if keep and path.is_file():
        try:
            rows = [[float(v) for v in parts] for _, _, parts in number_lines(path)]
        except ValueError:
            rows = []
        for i, r in enumerate(rows[:n_frames]):
            m = min(len(r), keep)
            cols[i, :m] = r[:m]
    return cols


# ---- reading ---------------------------------------------------------------------------------

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
    """(N, 4) boxes from a result file (commas, tabs or spaces); VOT codes are not allowed here."""
    boxes = read_number_table(path, (4,), "x,y,w,h")
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
    """Seconds per frame (all repetitions' columns, flattened) from the first time file found, or None."""
    tracker_dir = Path(tracker_dir)
    for f in (tracker_dir / "times" / f"{seq}_time.txt", tracker_dir / seq / f"{seq}_time.txt",
              tracker_dir / "baseline" / seq / f"{seq}_time.txt", tracker_dir / f"{seq}_time.txt"):
        if f.is_file():
            try:
                return np.array(fields(f.read_text(encoding="utf-8", errors="replace")), dtype=np.float64)
            except ValueError:
                raise HromError(f"{f}: not a time file; expected seconds per frame, one line per frame") from None
    return None


def read_vot_file(path: Path) -> list[list[float]]:
    """VOT baseline records: ``[1]``, ``[2]``, ``[0]`` or 4 / 8 region values per line."""
    out = []
    for lineno, text, parts in number_lines(path):
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise HromError(f"{path}:{lineno}: cannot read {text!r}; expected 0/1/2 or a region") from None
        if len(vals) not in (1, 4, 8):
            raise HromError(f"{path}:{lineno}: {len(vals)} values; expected a code (0/1/2), x,y,w,h or 8 polygon values")
        out.append(vals)
    return out


def find_vot_results(tracker_dir: Path, seq: str) -> list[Path]:
    return sorted((Path(tracker_dir) / "baseline" / seq).glob(f"{seq}_[0-9][0-9][0-9].txt"))
