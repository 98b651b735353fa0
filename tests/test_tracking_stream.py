"""``track_stream``, the loop behind ``hrom track`` and ``Tracker.track``; the peers folder setting."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from hrom.errors import HromError
from hrom.tracking import SiameseTracker, TrackedFrame, track_stream
from hrom.tracking import opencv_trackers
from helpers.tracking import OracleBackend, iou, moving_square_frames


def test_yields_one_result_per_frame_lazily():
    frames, gt = moving_square_frames(n=12)
    pulled = []

    def source():
        for f in frames:
            pulled.append(len(pulled))
            yield f

    steps = track_stream(SiameseTracker(OracleBackend()), source(), gt[0], start=5)
    first = next(steps)
    assert isinstance(first, TrackedFrame) and pulled == [0]  # nothing read ahead
    assert (first.index, first.box, first.score) == (5, tuple(gt[0]), 1.0) and first.frame is frames[0]
    rest = list(steps)
    assert [s.index for s in rest] == list(range(6, 17))
    assert all(iou(s.box, g) > 0.9 and 0 < s.score <= 1 and s.seconds >= 0 for s, g in zip(rest, gt[1:]))


def test_same_boxes_as_init_update_and_got10k_track(tmp_path):
    frames, gt = moving_square_frames(n=8)
    a = SiameseTracker(OracleBackend())
    a.init(frames[0], gt[0])
    by_hand = [tuple(gt[0])] + [tuple(a.update(f)) for f in frames[1:]]
    streamed = [s.box for s in track_stream(SiameseTracker(OracleBackend()), frames, gt[0])]
    np.testing.assert_allclose(streamed, by_hand)
    paths = []
    for i, f in enumerate(frames):
        paths.append(str(tmp_path / f"{i:04d}.png"))
        cv2.imwrite(paths[-1], f)
    boxes, times = SiameseTracker(OracleBackend()).track(paths, gt[0])
    np.testing.assert_allclose(boxes, by_hand)
    assert times.shape == (8,) and (times >= 0).all()


def test_errors_come_from_the_frame_that_caused_them():
    frames, gt = moving_square_frames(n=4)
    bad = itertools.chain(frames[:2], [np.zeros((5, 5, 3), np.float32)])
    steps = track_stream(SiameseTracker(OracleBackend()), bad, gt[0])
    assert len([next(steps), next(steps)]) == 2
    with pytest.raises(HromError):
        next(steps)
    with pytest.raises(HromError):  # a box outside the first frame
        next(track_stream(SiameseTracker(OracleBackend()), frames, (1000, 0, 5, 5)))


def test_peers_folder_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("HROM_PEERS_DIR", str(tmp_path / "mine"))
    assert opencv_trackers.default_peers_dir() == tmp_path / "mine"
    monkeypatch.delenv("HROM_PEERS_DIR")
    repo = Path(__file__).resolve().parent.parent  # a source checkout: ../shared/peers beside it
    assert opencv_trackers.default_peers_dir() == repo.parent / "shared" / "peers"
    # installed (site-packages has no pyproject.toml two levels above the package): the user data folder
    installed = tmp_path / "site-packages" / "hrom" / "tracking" / "opencv_trackers.py"
    monkeypatch.setattr(opencv_trackers, "__file__", str(installed))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert opencv_trackers.default_peers_dir() == tmp_path / "data" / "hrom" / "peers"


def test_track_cli_takes_pretrained_tags(tmp_path, capsys):
    from hrom.cli.main import main
    from hrom.models.checkpoint import bundled_checkpoint

    if bundled_checkpoint() is None:
        pytest.skip("needs the bundled weights")
    demo = Path(__file__).resolve().parent.parent / "src" / "hrom" / "assets" / "demo"
    outs = {}
    for model in (None, "hrom-tiny.bundled"):
        out = tmp_path / f"{model}.txt"
        args = ["track", str(demo / "bag_clip.avi"), "--box-file", str(demo / "bag_clip_init_box.txt"), "--max-frames",
                "6", "--scores", "--out", str(out), "--quiet"] + (["--model", model] if model else [])
        assert main(args) == 0
        outs[model] = out.read_text()
    assert outs[None] == outs["hrom-tiny.bundled"] and len(outs[None].splitlines()) == 6
    assert "with hrom-tiny.bundled" in capsys.readouterr().out
