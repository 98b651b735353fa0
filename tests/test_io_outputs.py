"""Unwritable outputs are found before any work: one line, exit 2 (``hrom.io.check_writable_*``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrom.cli.main import main
from hrom.errors import HromError
from hrom.io import check_writable_dir, check_writable_file

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip.avi"
TINY = REPO / "configs" / "tiny_synthetic.yaml"


def _bad_places(tmp_path: Path, readonly: Path) -> dict[str, Path]:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    return {"a file as parent": a_file / "sub" / "out.txt",
            "missing parent under a read-only folder": readonly / "no_such_dir" / "out.txt",
            "read-only folder": readonly / "out.txt"}


def test_check_writable_file_accepts_new_paths_and_creates_nothing(tmp_path):
    target = tmp_path / "a" / "b" / "boxes.txt"
    assert check_writable_file(target, "--out") == target
    assert list(tmp_path.iterdir()) == []  # no folder made, no probe file left
    assert check_writable_dir(tmp_path / "run", "--out") == tmp_path / "run"
    assert list(tmp_path.iterdir()) == []


def test_check_writable_refuses_bad_places_in_one_line(tmp_path, readonly_dir):
    for label, path in _bad_places(tmp_path, readonly_dir).items():
        with pytest.raises(HromError, match="--out: cannot write") as err:
            check_writable_file(path, "--out")
        assert "\n" not in str(err.value), label
        with pytest.raises(HromError, match="--out"):
            check_writable_dir(path.parent / "run", "--out")
    with pytest.raises(HromError, match="is a folder"):
        check_writable_file(tmp_path, "--video")
    with pytest.raises(HromError, match="exists and is not a directory"):
        check_writable_dir(tmp_path / "plain.txt", "--out")


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"hrom {command}: error: "), err
    return err[0]


@pytest.mark.parametrize("option", ["--out", "--video"])
def test_track_checks_outputs_before_opening_the_model(tmp_path, readonly_dir, capsys, monkeypatch, option):
    import hrom.tracking.factory as factory

    def no_tracking(*a, **k):
        raise AssertionError("tracking started although the output cannot be written")

    monkeypatch.setattr(factory, "create_tracker", no_tracking)
    for label, path in _bad_places(tmp_path, readonly_dir).items():
        rc = main(["track", str(CLIP), "--box", "312,143,110,102", option, str(path), "--quiet"])
        assert rc == 2, label
        assert option in _one_error_line(capsys, "track")


def test_train_checks_out_before_any_work(tmp_path, readonly_dir, capsys):
    for label, path in _bad_places(tmp_path, readonly_dir).items():
        rc = main(["train", "--config", str(TINY), "--out", str(path.parent / "run")])
        assert rc == 2, label
        assert "--out" in _one_error_line(capsys, "train")


def test_export_checks_out_before_exporting(tmp_path, readonly_dir, capsys):
    pytest.importorskip("onnxruntime")
    rc = main(["export", "hrom-tiny", "--out", str(readonly_dir / "exported"), "--no-verify"])
    assert rc == 2
    assert "--out" in _one_error_line(capsys, "export")
