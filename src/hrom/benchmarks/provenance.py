"""What produced a result folder: ``<tracker folder>/hrom_run.json``.

A resumed ``eval run`` skips finished sequences. Without a record, a second model written to
the same folder (two checkpoints both called ``latest.pt``, another ``--hp`` or backend) would
be reported with the first model's boxes. The record holds the model file's SHA-256, the
hyper-parameters, the backend, the VOT overlap and the hrom version; a run whose record differs
is refused with a line saying how to proceed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from hrom.errors import HromError
from hrom.io import atomic_write_text

RECORD = "hrom_run.json"
# fields that must match for a run to continue in an existing folder
COMPARED = ("model", "hp", "hp_sha256", "backend", "overlap", "hrom_version", "start_nudges")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe_factory(factory: Any) -> dict:
    """The record fields of a tracker factory: its own ``provenance()`` when it has one (see
    :class:`hrom.benchmarks.runner.TrackerSpec`), else the factory's qualified name."""
    own = getattr(factory, "provenance", None)
    if callable(own):
        return dict(own())
    kind = factory if isinstance(factory, type) else type(factory)
    name = getattr(factory, "__qualname__", None) or kind.__qualname__
    return {"model": f"python:{getattr(factory, '__module__', kind.__module__)}.{name}"}


def make_record(factory: Any, bench: Any, overlap: str | None) -> dict:
    """The record of running ``factory``'s tracker on ``bench`` (a :class:`~hrom.benchmarks.benchmark.Benchmark`);
    ``overlap`` counts only where it changes the results (VOT)."""
    from datetime import datetime

    from hrom import __version__

    return {"hp": None, "backend": None, **describe_factory(factory), "benchmark": bench.name,
            "protocol": bench.protocol, "overlap": overlap if bench.overlap_matters else None,
            "hrom_version": __version__, "created": datetime.now().isoformat(timespec="seconds")}


def _has_results(folder: Path) -> bool:
    return any(p.is_file() and p.name != RECORD for p in folder.rglob("*"))


def claim_folder(folder: Path, record: dict, overwrite: bool = False) -> None:
    """Make ``folder`` this run's: refuse results of another run, replace them with
    ``overwrite``, and write the record before any tracking."""
    folder = Path(folder)
    how = "use --name NEW to keep both, or --overwrite to replace them"
    if folder.exists() and overwrite:
        shutil.rmtree(folder)
    elif (folder / RECORD).is_file():
        try:
            old = json.loads((folder / RECORD).read_text())
        except (OSError, ValueError):
            raise HromError(f"{folder / RECORD}: unreadable run record; {how}") from None
        for key in COMPARED:
            if old.get(key) != record.get(key):
                raise HromError(f"{folder} holds results of another run ({key} {old.get(key)!r}, this run "
                                f"{record.get(key)!r}); {how}")
        return
    elif folder.is_dir() and _has_results(folder):
        raise HromError(f"{folder} holds results without a record of what produced them ({RECORD}); {how}")
    atomic_write_text(folder / RECORD, json.dumps(record, indent=1) + "\n")
