"""``tools/bundled_eval.py``, the script behind the README's test-set table, runs end to end on the
real sequences of ``../shared`` with OpenCV's KCF (the fastest tracker there), once plainly and
once with ``--start-nudges``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SEQUENCES = {"OTB100": 7, "VOT2018_OPE": 1, "UAV123_10fps": 1}


def _run(*args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "bundled_eval.py"), "--trackers", "kcf", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _all_auc(stdout: str) -> float:
    row = next(line for line in stdout.splitlines() if line.startswith("| kcf |"))
    return float(re.split(r"\s*\|\s*", row.strip("| "))[-1].split(" / ")[0])


def test_bundled_eval_table_and_nudged_runs(shared_dir, tmp_path):
    plain = _run("--out", str(tmp_path / "plain"))
    # KCF is deterministic: its all-sequence AUC is the README table's figure
    assert _all_auc(plain) == 0.233

    nudged = _run("--out", str(tmp_path / "nudged"), "--start-nudges", "1")
    for bench, n in SEQUENCES.items():
        folder = tmp_path / "nudged" / "results" / bench / "kcf"
        assert json.loads((folder / "hrom_run.json").read_text())["start_nudges"] == 1
        seqs = [d for d in folder.iterdir() if d.is_dir()]
        assert len(seqs) == n
        for seq in seqs:
            first = np.loadtxt(seq / f"{seq.name}_001.txt", delimiter=",", ndmin=2)[0]
            second = np.loadtxt(seq / f"{seq.name}_002.txt", delimiter=",", ndmin=2)[0]
            assert not np.allclose(first, second), f"{seq.name}: the second run did not start from a nudged box"
    # the table is now the mean of two runs, one of them the plain run
    assert 0.0 < _all_auc(nudged) < 1.0 and _all_auc(nudged) != _all_auc(plain)
