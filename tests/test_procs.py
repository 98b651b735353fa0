"""``--threads`` reaches PyTorch, OpenCV and ONNX Runtime (orphans after kill -9: test_training_cli)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
import torch

import hrom.procs as procs
from hrom.cli.main import main

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip.avi"


@pytest.fixture()
def restore_threads(monkeypatch):
    before = torch.get_num_threads(), cv2.getNumThreads()
    monkeypatch.setattr(procs, "_requested_threads", None)
    yield
    torch.set_num_threads(before[0])
    cv2.setNumThreads(before[1])


def test_track_threads_option(restore_threads, tmp_path, capsys):
    torch.set_num_threads(2)
    rc = main(["track", str(CLIP), "--box", "312,143,110,102", "--model", "hrom-tiny", "--max-frames", "2",
               "--threads", "1", "--out", str(tmp_path / "b.txt"), "--quiet"])
    assert rc == 0
    assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1 and procs.requested_threads() == 1
    assert main(["track", str(CLIP), "--box", "1,2,3,4", "--threads", "-1"]) == 2
    assert "--threads" in capsys.readouterr().err


def test_default_is_one_thread(restore_threads, tmp_path):
    torch.set_num_threads(2)
    assert main(["track", str(CLIP), "--box", "312,143,110,102", "--model", "hrom-tiny", "--max-frames", "2",
                 "--quiet"]) == 0
    assert torch.get_num_threads() == procs.DEFAULT_THREADS == 1


def test_onnx_sessions_follow_threads(restore_threads):
    pytest.importorskip("onnxruntime")
    from hrom.export.onnx_backend import session_options

    procs.set_threads(1)
    assert session_options().intra_op_num_threads == 1
    assert session_options(3).intra_op_num_threads == 3
