"""OnnxBackend: sources, cache, tracker registry, and tracking parity with the PyTorch backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnx", reason="ONNX backend tests need hrom[onnx]")
pytest.importorskip("onnxruntime", reason="ONNX backend tests need hrom[onnx]")

from hrom.cli.main import main  # noqa: E402
from hrom.errors import HromError  # noqa: E402
from hrom.export.onnx_backend import OnnxBackend, cached_export, model_hash  # noqa: E402
from hrom.export.onnx_export import SEARCH_FILE  # noqa: E402
from hrom.models.checkpoint import save_checkpoint  # noqa: E402
from hrom.tracking import create_tracker  # noqa: E402
from hrom.tracking.backends import available_backends, make_backend  # noqa: E402
from helpers.export import random_pixels, realistic_model  # noqa: E402



@pytest.fixture(autouse=True)
def _no_grad():
    """Inference only in this module (scoped: other test modules train)."""
    with torch.no_grad():
        yield


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """Point the user cache at a temp folder (the backend exports into $XDG_CACHE_HOME/hrom/onnx)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hrom" / "onnx"


def test_model_is_exported_once_into_the_cache(cache):
    model = realistic_model("hrom-tiny")
    backend = make_backend("onnx", model, "cpu")
    entries = [p for p in cache.iterdir()]
    assert [p.name for p in entries] == [model_hash(model, 19)]  # no temp dirs left behind
    mtime = (entries[0] / SEARCH_FILE).stat().st_mtime_ns
    again = OnnxBackend(model)
    assert again.export_dir == backend.export_dir
    assert (entries[0] / SEARCH_FILE).stat().st_mtime_ns == mtime
    # a damaged entry (truncated graph) is detected by its hash and rebuilt
    (entries[0] / SEARCH_FILE).write_bytes(b"partial")
    rebuilt = cached_export(model)
    assert rebuilt == entries[0] and (rebuilt / SEARCH_FILE).stat().st_size > 1000
    # other weights -> another entry
    other = realistic_model("hrom-tiny", seed=5)
    assert OnnxBackend(other).export_dir != backend.export_dir


def test_same_weights_with_other_tracker_hp_get_their_own_cache_entry(cache, tmp_path):
    """A re-release that changes only tracker_hp must not be served the old sidecar's values."""
    from hrom.models.checkpoint import load_model

    model = realistic_model("hrom-tiny")
    files = {}
    for name, hp in (("a", {"template_lr": 0.0}), ("b", {"template_lr": 0.1})):
        files[name] = tmp_path / f"{name}.pt"
        save_checkpoint(model, files[name], tracker_hp=hp)
    a, b = (OnnxBackend(load_model(files[n])) for n in ("a", "b"))
    assert a.export_dir != b.export_dir
    assert (a.meta["tracker_hp"]["template_lr"], b.meta["tracker_hp"]["template_lr"]) == (0.0, 0.1)


def test_backend_outputs_match_torch_backend(cache):
    model = realistic_model("hrom-tiny")
    onnx_b, torch_b = make_backend("onnx", model, "cpu"), make_backend("torch", model, "cpu")
    z, x = random_pixels(127, 11), random_pixels(255, 12)
    onnx_b.set_template(z)
    torch_b.set_template(z)
    for a, b in zip(onnx_b.search(x), torch_b.search(x)):
        assert a.shape == b.shape and a.dtype == np.float32
        assert np.abs(a - b).max() < 1e-4


def test_backend_rejects_bad_inputs(cache, tmp_path):
    backend = make_backend("onnx", realistic_model("hrom-tiny"), "cpu")
    with pytest.raises(HromError, match="before set_template"):
        backend.search(random_pixels(255, 0))
    with pytest.raises(HromError, match=r"template: got an array of shape \(1, 3, 128, 128\); expected \(1, 3, 127, 127\)"):
        backend.set_template(random_pixels(128, 0))
    with pytest.raises(HromError, match="unknown tracker backend 'tensorrt'; available: torch, onnx"):
        make_backend("tensorrt", "hrom-tiny")
    assert "onnx" in available_backends()
    with pytest.raises(HromError, match="runs on the CPU"):
        make_backend("onnx", "hrom-tiny", "cuda")
    with pytest.raises(HromError, match="not an hrom ONNX export"):
        OnnxBackend(tmp_path)


def test_missing_onnxruntime_says_install_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(HromError, match=r"install hrom\[onnx\]"):
        make_backend("onnx", "hrom-tiny")


def _track(tracker, frames, box):
    tracker.init(frames[0], box)
    return np.array([tracker.update(f) for f in frames[1:]])


def test_tracking_a_real_clip_matches_torch_backend(cache, shared_dir):
    import cv2

    seq = shared_dir / "data" / "otb" / "Crossing"
    frames = [cv2.imread(str(seq / "img" / f"{i:04d}.jpg")) for i in range(1, 21)]
    box = tuple(np.loadtxt(seq / "groundtruth_rect.txt")[0])
    model = realistic_model("hrom-tiny")
    torch_boxes = _track(create_tracker(model, backend="torch"), frames, box)
    onnx_boxes = _track(create_tracker(model, backend="onnx"), frames, box)
    assert torch_boxes.shape == (19, 4)
    assert np.abs(np.diff(torch_boxes[:, :2], axis=0)).max() > 0.5  # the box actually moves
    assert np.abs(torch_boxes - onnx_boxes).max() < 0.5


def test_hrom_track_cli_with_onnx_backend(cache, shared_dir, tmp_path, capsys):
    seq = shared_dir / "data" / "otb" / "Crossing"
    ckpt = save_checkpoint(realistic_model("hrom-tiny"), tmp_path / "tiny.pt")
    outs = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.txt"
        rc = main(["track", str(seq / "img"), "--box-file", str(seq / "groundtruth_rect.txt"), "--model", str(ckpt),
                   "--backend", backend, "--max-frames", "8", "--out", str(out), "--quiet"])
        assert rc == 0
        outs[backend] = np.loadtxt(out, delimiter=",")
    assert outs["onnx"].shape == (8, 4)
    assert np.abs(outs["onnx"] - outs["torch"]).max() < 0.5
    assert len(list(cache.iterdir())) == 1


def test_hrom_eval_run_with_onnx_backend(cache, shared_dir, tmp_path):
    ckpt = save_checkpoint(realistic_model("hrom-tiny"), tmp_path / "tiny.pt")
    boxes = {}
    for backend in ("torch", "onnx"):
        rc = main(["eval", "run", "--benchmark", "otb100", "--root", str(shared_dir / "data" / "otb"), "--tracker", str(ckpt),
                   "--backend", backend, "--sequences", "Crossing", "--partial", "--results", str(tmp_path / backend), "--quiet"])
        assert rc == 0
        (result,) = (tmp_path / backend).rglob("Crossing.txt")
        boxes[backend] = np.loadtxt(result, delimiter=",")
    gt = np.loadtxt(shared_dir / "data" / "otb" / "Crossing" / "groundtruth_rect.txt")
    assert boxes["onnx"].shape == gt.shape
    assert np.abs(boxes["onnx"] - boxes["torch"]).max() < 0.5


def test_onnx_backend_plugs_in_without_importing_hrom_export(tmp_path):
    """``--backend onnx`` needs no import by the user: tracking imports the registering module on first use."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from hrom.tracking import create_tracker\n"
            "from hrom.tracking.backends import available_backends\n"
            "assert not any(m.startswith('hrom.export') for m in sys.modules), 'tracking imported hrom.export'\n"
            "assert available_backends()[:2] == ('torch', 'onnx')\n"
            "t = create_tracker('hrom-tiny', backend='onnx')\n"
            "print(type(t.backend).__name__, t.geometry.score_size)\n")
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["OnnxBackend", "25"]
