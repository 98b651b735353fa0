"""``hrom.io.atomic_output`` (files written by someone else's writer, e.g. cv2.VideoWriter) and
``atomic_dir`` (a folder that appears complete or not at all): no umask juggling, nothing left."""

from __future__ import annotations

import os
import stat

import pytest

from hrom.io import atomic_dir, atomic_output


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_output_keeps_the_name_and_the_umask(tmp_path):
    target = tmp_path / "sub" / "clip.mp4"
    with atomic_output(target) as tmp:
        assert tmp.name == "clip.mp4" and tmp.parent != target.parent  # same suffix, hidden folder beside it
        tmp.write_bytes(b"video")
        assert not target.exists()
    assert target.read_bytes() == b"video" and os.listdir(target.parent) == ["clip.mp4"]
    umask = os.umask(0o022)  # the test may read the umask; the library never changes it
    os.umask(umask)
    assert _mode(target) == 0o666 & ~umask


def test_atomic_output_leaves_nothing_on_error(tmp_path):
    (tmp_path / "clip.mp4").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "clip.mp4") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == ["clip.mp4"] and (tmp_path / "clip.mp4").read_bytes() == b"old"


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path):
    final = tmp_path / "cache" / "entry"
    with pytest.raises(RuntimeError):
        with atomic_dir(final) as tmp:
            (tmp / "a").write_text("1")
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path / "cache") == []
    with atomic_dir(final) as tmp:
        (tmp / "a").write_text("1")
        assert not final.exists()
    assert os.listdir(final) == ["a"] and os.listdir(tmp_path / "cache") == ["entry"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert _mode(final) == 0o777 & ~umask
    with pytest.raises(OSError):  # someone else's complete entry is never replaced
        with atomic_dir(final) as tmp:
            (tmp / "b").write_text("2")
    assert os.listdir(final) == ["a"] and os.listdir(tmp_path / "cache") == ["entry"]
