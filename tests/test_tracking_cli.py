"""``hrom track`` end to end on real clips from ../shared, and every bad input (exit 2, one line)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hrom.cli.main import main


@pytest.fixture()
def crossing8(shared_dir, tmp_path):
    """The first 8 frames of OTB Crossing as an image folder, and its first box."""
    src = shared_dir / "data" / "otb" / "Crossing"
    folder = tmp_path / "crossing"
    folder.mkdir()
    for i in range(1, 9):
        shutil.copy(src / "img" / f"{i:04d}.jpg", folder / f"{i:04d}.jpg")
    box = np.loadtxt(src / "groundtruth_rect.txt")[0]
    return folder, ",".join(f"{v:g}" for v in box)


@pytest.fixture()
def bag_clip(shared_dir, tmp_path):
    """A 12-frame video cut from ../shared/data/demo/bag.avi, and the box file of its first frame."""
    cap = cv2.VideoCapture(str(shared_dir / "data" / "demo" / "bag.avi"))
    clip = tmp_path / "bag12.avi"
    writer = None
    for _ in range(12):
        ok, frame = cap.read()
        assert ok
        if writer is None:
            writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (frame.shape[1], frame.shape[0]))
        writer.write(frame)
    writer.release()
    cap.release()
    return clip, shared_dir / "data" / "demo" / "bag_init_box.txt"


def read_video(path: Path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_track_image_folder_writes_boxes_scores_and_video(crossing8, tmp_path, capsys):
    folder, box = crossing8
    out, video = tmp_path / "out" / "boxes.txt", tmp_path / "out" / "annotated.mp4"
    rc = main(["track", str(folder), "--box", box, "--model", "hrom-tiny", "--out", str(out),
               "--video", str(video), "--scores", "--quiet"])
    assert rc == 0
    rows = np.loadtxt(out, delimiter=",")
    assert rows.shape == (8, 5)
    assert rows[0, :4].tolist() == [205, 151, 17, 50] and rows[0, 4] == 1.0
    h, w = cv2.imread(str(folder / "0001.jpg")).shape[:2]
    assert (rows[:, 0] >= 0).all() and (rows[:, 1] >= 0).all()
    assert (rows[:, 0] + rows[:, 2] <= w + 1e-3).all() and (rows[:, 1] + rows[:, 3] <= h + 1e-3).all()
    assert ((rows[1:, 4] >= 0) & (rows[1:, 4] <= 1)).all()
    frames = read_video(video)
    assert len(frames) == 8 and frames[0].shape[:2] == (h, w)
    printed = capsys.readouterr().out
    assert "tracked 8 frames" in printed and str(out) in printed and str(video) in printed
    assert leftovers(tmp_path / "out") == []


def test_track_video_with_box_file_and_glob_and_start_frame(bag_clip, crossing8, tmp_path):
    clip, box_file = bag_clip
    out = tmp_path / "bag.txt"
    assert main(["track", str(clip), "--box-file", str(box_file), "--model", "hrom-tiny", "--out", str(out), "--quiet"]) == 0
    rows = np.loadtxt(out, delimiter=",")
    assert rows.shape == (12, 4)
    assert rows[0].tolist() == pytest.approx([312.01, 143.41, 109.99, 102.18])
    assert (rows[:, 0] + rows[:, 2] <= 640 + 1e-3).all() and (rows[:, 1] + rows[:, 3] <= 480 + 1e-3).all()

    folder, box = crossing8
    out2 = tmp_path / "glob.txt"
    assert main(["track", str(folder / "*.jpg"), "--box", box, "--model", "hrom-tiny", "--out", str(out2),
                 "--start-frame", "3", "--quiet"]) == 0
    rows = np.loadtxt(out2, delimiter=",")
    assert rows.shape == (5, 4) and rows[0].tolist() == [205, 151, 17, 50]


def test_opencv_tracker_through_cli(crossing8, tmp_path):
    folder, box = crossing8
    out = tmp_path / "kcf.txt"
    assert main(["track", str(folder), "--box", box, "--model", "kcf", "--out", str(out), "--quiet"]) == 0
    assert np.loadtxt(out, delimiter=",").shape == (8, 4)


def test_image_folders_sort_naturally(tmp_path):
    from hrom.tracking.sources import open_source

    img = np.zeros((20, 30, 3), np.uint8)
    for name in ("10.png", "2.png", "1.png", "notes.txt"):
        if name.endswith(".png"):
            cv2.imwrite(str(tmp_path / name), img)
        else:
            (tmp_path / name).write_text("x")
    assert [p.name for p in open_source(tmp_path).paths] == ["1.png", "2.png", "10.png"]


def _bad_cases(tmp: Path, folder: Path, box: str):
    (tmp / "empty").mkdir()
    (tmp / "notvideo.avi").write_text("this is not a video")
    (tmp / "emptybox.txt").write_text("\n\n")
    garbage = tmp / "garbage"
    shutil.copytree(folder, garbage)
    (garbage / "0005.jpg").write_bytes(b"not a jpeg at all")
    src = str(folder)
    return {
        "missing source": ([str(tmp / "nope.mp4"), "--box", box], "no such file"),
        "undecodable video": ([str(tmp / "notvideo.avi"), "--box", box], "cannot decode video"),
        "empty folder": ([str(tmp / "empty"), "--box", box], "no images"),
        "glob matching nothing": ([str(tmp / "empty" / "*.jpg"), "--box", box], "matches no files"),
        "zero size": ([src, "--box", "10,10,0,5"], "must be positive"),
        "negative size": ([src, "--box", "10,10,-5,5"], "must be positive"),
        "nan size": ([src, "--box", "10,10,nan,5"], "finite"),
        "outside the frame": ([src, "--box", "1000,1000,10,10"], "outside the first frame"),
        "three numbers": ([src, "--box", "10,10,5"], "four numbers"),
        "not numbers": ([src, "--box", "a,b,c,d"], "four numbers"),
        "missing box file": ([src, "--box-file", str(tmp / "none.txt")], "box file not found"),
        "empty box file": ([src, "--box-file", str(tmp / "emptybox.txt")], "empty"),
        "garbage frame": ([str(garbage), "--box", box], "0005.jpg: not an image OpenCV can decode (frame 4"),
        "start beyond the end": ([src, "--box", box, "--start-frame", "8"], "only 8 frames"),
        "cuda absent": ([src, "--box", box, "--device", "cuda"], "CUDA"),
        "unknown hp": ([src, "--box", box, "--hp", "fast"], "unknown tracker hyper-parameter preset"),
        "unknown model": ([src, "--box", box, "--model", "hrom-w99"], "not a tracker name"),
    }


CASES = ["missing source", "undecodable video", "empty folder", "glob matching nothing", "zero size", "negative size",
         "nan size", "outside the frame", "three numbers", "not numbers", "missing box file", "empty box file",
         "garbage frame", "start beyond the end", "cuda absent", "unknown hp", "unknown model"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_line_and_no_output(case, crossing8, tmp_path, capsys):
    import torch

    if case == "cuda absent" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    folder, box = crossing8
    args, expected = _bad_cases(tmp_path, folder, box)[case]
    outdir = tmp_path / "results"
    outdir.mkdir()
    model = [] if "--model" in args else ["--model", "hrom-tiny"]
    rc = main(["track", *args, *model, "--out", str(outdir / "b.txt"), "--video", str(outdir / "v.mp4"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("hrom track: error: "), err
    assert expected in err[0]
    assert list(outdir.iterdir()) == []


def test_undecodable_frame_mid_run_stops_without_output(crossing8, tmp_path, capsys):
    folder, box = crossing8
    data = (folder / "0006.jpg").read_bytes()
    (folder / "0006.jpg").write_bytes(data[:300])  # valid JPEG header, truncated body
    outdir = tmp_path / "results"
    rc = main(["track", str(folder), "--box", box, "--model", "hrom-tiny", "--out", str(outdir / "b.txt"),
               "--video", str(outdir / "v.mp4"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "0006.jpg: cannot decode image (frame 5" in err[0], err
    assert list(outdir.iterdir()) == []


def test_no_model_and_no_bundled_weights(crossing8, tmp_path, capsys, monkeypatch):
    import hrom.models.checkpoint as ck

    monkeypatch.setattr(ck, "bundled_checkpoint", lambda: None)
    folder, box = crossing8
    assert main(["track", str(folder), "--box", box, "--out", str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no bundled HROM weights" in err[0] and "--model" in err[0]
    assert not (tmp_path / "b.txt").exists()


def test_subprocess_bad_box_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "hrom", "track", str(tmp_path / "missing.mp4"), "--box", "1,2,0,4"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "width and height must be positive" in lines[0] and "Traceback" not in proc.stderr
