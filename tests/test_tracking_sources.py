"""Truncated frames stop tracking with the file and frame named (libjpeg alone decodes a cut JPEG
as a grey lower part with only a warning), in ``hrom track`` and in ``Tracker.track``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hrom.cli.main import main
from hrom.errors import HromError
from hrom.tracking.sources import read_image, truncation


def _frames(folder: Path, n: int = 6, ext: str = ".jpg") -> list[Path]:
    folder.mkdir()
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8), (320, 240), interpolation=cv2.INTER_CUBIC)
    paths = []
    for i in range(n):
        img = np.roll(base, 4 * i, axis=1).copy()
        cv2.rectangle(img, (100 + 4 * i, 80), (160 + 4 * i, 150), (0, 0, 255), -1)
        paths.append(folder / f"{i + 1:04d}{ext}")
        cv2.imwrite(str(paths[-1]), img)
    return paths


def _cut(path: Path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_a_truncated_jpeg_still_decodes_to_an_image_so_bytes_are_checked(tmp_path):
    paths = _frames(tmp_path / "f", 1)
    _cut(paths[0])
    assert cv2.imread(str(paths[0])) is not None  # what made a grey frame pass silently
    assert truncation(paths[0].read_bytes()) == "no JPEG end-of-image marker"
    with pytest.raises(HromError, match=r"0001.jpg: cannot decode image \(frame 0 of x\): the file is truncated"):
        read_image(paths[0], "frame 0 of x")


def test_complete_files_pass_including_an_exif_thumbnail(tmp_path):
    paths = _frames(tmp_path / "f", 1)
    data = paths[0].read_bytes()
    assert truncation(data) is None
    thumb = data  # a complete JPEG inside APP1, as cameras store thumbnails: its end marker must not count
    app1 = b"\xff\xe1" + (len(thumb) + 2).to_bytes(2, "big") + thumb
    whole = data[:2] + app1 + data[2:]
    assert truncation(whole) is None
    assert truncation(whole[:len(whole) - 500]) == "no JPEG end-of-image marker"
    png = _frames(tmp_path / "p", 1, ".png")[0]
    assert truncation(png.read_bytes()) is None
    assert truncation(png.read_bytes()[:-200]) == "no PNG IEND chunk"


def test_track_stops_at_a_truncated_frame_mid_sequence(tmp_path, capsys):
    paths = _frames(tmp_path / "seq")
    _cut(paths[3])
    out = tmp_path / "out"
    rc = main(["track", str(tmp_path / "seq"), "--box", "100,80,60,70", "--model", "hrom-tiny",
               "--out", str(out / "b.txt"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert "0004.jpg: cannot decode image (frame 3 of" in err[0] and "truncated" in err[0]
    assert not out.exists()


def test_toolkit_track_loop_refuses_a_truncated_frame(tmp_path):
    from hrom.tracking import create_tracker

    paths = _frames(tmp_path / "seq")
    _cut(paths[2])
    tracker = create_tracker("hrom-tiny")
    with pytest.raises(HromError, match=r"0003.jpg: cannot decode image \(frame 2\)"):
        tracker.track([str(p) for p in paths], [100, 80, 60, 70])
