"""Where training progress goes (rank 0 only): RUN_DIR/log.jsonl, one JSON object per logged
step or event, and TensorBoard events in RUN_DIR/tensorboard when the package is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hrom.io import atomic_write_text


class Logbook:
    def __init__(self, run_dir: Path, tensorboard: bool = True, resume_from_iter: int | None = None):
        self.path = Path(run_dir) / "log.jsonl"
        if resume_from_iter is not None:
            self._drop_after(resume_from_iter)
        self._file = open(self.path, "a", encoding="utf-8")
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # the tensorboard package is optional
                SummaryWriter = None
            if SummaryWriter is not None:
                self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"), purge_step=resume_from_iter)

    def _drop_after(self, iteration: int) -> None:
        """On resume, forget steps the interrupted run logged after its last checkpoint."""
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a crash
                continue
            if rec.get("iter", 0) <= iteration:
                kept.append(line)
        atomic_write_text(self.path, "".join(k + "\n" for k in kept))

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self.writer is not None:
            step = record.get("iter", 0)
            prefix = "eval" if record.get("event") == "eval" else "train"
            for k, v in record.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("iter", "epoch", "time"):
                    self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def close(self) -> None:
        self._file.close()
        if self.writer is not None:
            self.writer.close()
