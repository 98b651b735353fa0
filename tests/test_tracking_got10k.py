"""The official GOT-10k toolkit (PyPI got10k 0.1.3) runs hrom trackers unchanged.

Fixture: two short synthetic sequences in the exact OTB layout (``<Seq>/img/0001.jpg``,
``<Seq>/groundtruth_rect.txt``) under real OTB-2013 names.  The toolkit downloads any OTB
sequence folder that is missing, so the other names of the version get empty folders (they have
no ground truth, so the toolkit skips them) and any download attempt fails the test.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

got10k = pytest.importorskip("got10k", reason="the got10k toolkit (dev dependency) is not installed")

from got10k.datasets import OTB  # noqa: E402
from got10k.experiments import ExperimentOTB  # noqa: E402

from hrom.tracking import SiameseTracker, create_tracker  # noqa: E402
from hrom.tracking.got10k_adapter import got10k_tracker  # noqa: E402
from helpers.tracking import OracleBackend, moving_square_frames  # noqa: E402

SEQS = {"Couple": ((50.0, 40.0), (5.0, 2.0)), "Crossing": ((200.0, 120.0), (-6.0, 3.0))}
N = 8


@pytest.fixture()
def otb_root(tmp_path, monkeypatch):
    import got10k.datasets.otb as otb_mod

    def no_download(*args, **kwargs):
        raise AssertionError("the got10k toolkit tried to download a sequence")

    monkeypatch.setattr(otb_mod, "download", no_download)
    root = tmp_path / "OTB"
    for name in OTB._OTB__otb13_seqs:
        (root / name).mkdir(parents=True)
    for name, (start, step) in SEQS.items():
        frames, boxes = moving_square_frames(n=N, start=start, step=step)
        (root / name / "img").mkdir()
        for i, f in enumerate(frames):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.jpg"), f, [cv2.IMWRITE_JPEG_QUALITY, 95])
        np.savetxt(root / name / "groundtruth_rect.txt", boxes, fmt="%d", delimiter=",")
    return root


def test_experiment_otb_runs_hrom_tracker_directly(otb_root, tmp_path):
    exp = ExperimentOTB(str(otb_root), version=2013, result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))
    assert sorted(exp.dataset.seq_names) == sorted(SEQS)
    tracker = create_tracker("hrom-tiny")
    exp.run(tracker)
    for name in SEQS:
        boxes = np.loadtxt(tmp_path / "results" / "OTB2013" / "hrom-tiny" / f"{name}.txt", delimiter=",")
        assert boxes.shape == (N, 4) and np.isfinite(boxes).all()
        assert boxes[0].tolist() == np.loadtxt(otb_root / name / "groundtruth_rect.txt", delimiter=",")[0].tolist()
        assert (boxes[:, 2:] >= 10).all() and (boxes[:, 0] >= 0).all() and (boxes[:, 0] + boxes[:, 2] <= 320 + 1e-6).all()


def test_toolkit_loop_and_report_through_the_adapter(otb_root, tmp_path):
    """got10k's own Tracker.track (PIL RGB frames) drives the hrom tracker; its report scores it."""
    exp = ExperimentOTB(str(otb_root), version=2013, result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))
    inner = SiameseTracker(OracleBackend(), name="hrom-oracle")
    tracker = got10k_tracker(inner)
    assert tracker.name == "hrom-oracle"
    exp.run(tracker)
    perf = exp.report([tracker.name])["hrom-oracle"]["overall"]
    # the oracle sees the square, so per the toolkit's own metrics the boxes must be right
    assert perf["precision_score"] == 1.0
    assert perf["success_score"] > 0.85
    saved = json.loads((tmp_path / "reports" / "OTB2013" / "hrom-oracle" / "performance.json").read_text())
    assert saved["hrom-oracle"]["overall"]["precision_score"] == 1.0
