"""The tracker end to end in Python: it follows a target, accepts every frame format, and the
factory / devices / backends fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from hrom.errors import HromError
from hrom.tracking import SiameseTracker, TrackerConfig, create_tracker, make_backend
from helpers.tracking import ColourBackend, OracleBackend, iou, moving_square_frames


@pytest.mark.parametrize("hp", ["default", "otb"])
def test_follows_a_moving_square(hp):
    """Oracle network + real crop/anchor/decoding: the box must land on the square every frame."""
    from hrom.tracking.config import HP_PRESETS

    frames, gt = moving_square_frames(n=25, step=(7.0, 4.0))
    oracle = OracleBackend()
    trk = SiameseTracker(oracle, HP_PRESETS[hp])
    trk.init(frames[0], gt[0])
    ious, errs = [], []
    for f, g in zip(frames[1:], gt[1:]):
        b = trk.update(f)
        ious.append(iou(b, g))
        errs.append(np.hypot(b[0] + b[2] / 2 - g[0] - g[2] / 2, b[1] + b[3] / 2 - g[1] - g[3] / 2))
        assert 0.0 < trk.score <= 1.0
    assert min(ious) > 0.9, ious
    assert max(errs) < 1.0, errs
    # the square moved 24 * (7, 4) px: a tracker that stood still would have IoU 0 at the end
    assert iou(gt[0], gt[-1]) == 0.0


def test_target_leaving_the_frame_keeps_box_inside():
    frames, gt = moving_square_frames(n=30, size=(200, 150), start=(100.0, 60.0), step=(8.0, 0.0))
    trk = SiameseTracker(OracleBackend())
    trk.init(frames[0], gt[0])
    for f in frames[1:]:
        x, y, w, h = trk.update(f)
        assert x >= 0 and y >= 0 and x + w <= 200 + 1e-9 and y + h <= 150 + 1e-9 and w >= 10 and h >= 10


def _jumping_square():
    """Five frames of a square at (60, 50), then ten at (210, 150): 150 px right, 100 down, beyond
    the normal search region (about +-60 px for a 30 px target), inside the 831-px one (+-196)."""
    a, _ = moving_square_frames(n=5, step=(0.0, 0.0))
    b, _ = moving_square_frames(n=10, start=(210.0, 150.0), step=(0.0, 0.0))
    return a + b, [(60.0, 50.0, 30.0, 30.0)] * 5 + [(210.0, 150.0, 30.0, 30.0)] * 10


def test_lost_target_search_finds_a_target_that_jumped_out_of_the_search_region():
    frames, gt = _jumping_square()
    runs = {}
    for lost_score in (0.0, 0.5):
        oracle = OracleBackend()
        trk = SiameseTracker(oracle, TrackerConfig(lost_score=lost_score))
        trk.init(frames[0], gt[0])
        boxes, lost = [], []
        for f in frames[1:]:
            boxes.append(trk.update(f))
            lost.append(trk.lost)
        runs[lost_score] = ([iou(b, g) for b, g in zip(boxes, gt[1:])], lost, oracle.sides)
    ious, lost, sides = runs[0.0]  # off: the target is gone for good, and every crop is 255
    assert min(ious[:4]) > 0.9 and max(ious[4:]) == 0.0 and not any(lost) and set(sides) == {255}
    ious, lost, sides = runs[0.5]
    # frame 5 (index 4): nothing in the 255 crop, so lost; frame 6 searches 831 px, finds it and
    # moves there; from then on normal 255 crops on the target again
    assert lost == [False] * 4 + [True] + [False] * 9
    assert sides == [255] * 5 + [831] + [255] * 8
    assert ious[4] == 0.0 and min(ious[5:]) > 0.9, ious


def test_lost_every_searches_the_large_crop_only_on_every_kth_lost_frame():
    """Square at (60, 50) for 5 frames, gone for 6, then at (210, 150): the large crop runs on the
    first lost frame and then every lost_every-th one, so the target is found again on the next
    large search."""
    a, _ = moving_square_frames(n=5, step=(0.0, 0.0))
    gone, _ = moving_square_frames(n=6, side=0)
    b, _ = moving_square_frames(n=6, start=(210.0, 150.0), step=(0.0, 0.0))
    frames = a + gone + b
    runs = {}
    for every in (1, 3):
        oracle = OracleBackend()
        trk = SiameseTracker(oracle, TrackerConfig(lost_score=0.5, lost_every=every))
        trk.init(frames[0], (60.0, 50.0, 30.0, 30.0))
        found = [iou(trk.update(f), (210.0, 150.0, 30.0, 30.0)) > 0.9 for f in frames[1:]]
        runs[every] = oracle.sides, found.index(True) + 1, trk.lost_frames
    assert runs[1] == ([255] * 5 + [831] * 6 + [255] * 5, 11, 0)
    assert runs[3] == ([255] * 5 + [831, 255, 255, 831, 255, 255, 831] + [255] * 4, 12, 0)
    with pytest.raises(HromError, match="lost_every must be an integer >= 1"):
        TrackerConfig(lost_every=0)


def test_lost_target_search_keeps_the_size_and_needs_a_backend_for_any_crop():
    frames, gt = _jumping_square()
    trk = SiameseTracker(OracleBackend(), TrackerConfig(lost_score=0.5, lost_search_size=415))  # +-98 px: too small
    trk.init(frames[0], gt[0])
    sizes = [tuple(trk.update(f)[2:]) for f in frames[1:]]
    # lost from frame 5 on: the 415 crops see nothing either, and the box size stays as it was
    assert trk.lost and len(set(sizes[4:])) == 1 and sizes[4] == pytest.approx((30.0, 30.0), abs=0.01)
    with pytest.raises(HromError, match="oracle backend only takes 255-pixel search crops, the lost-target search needs 831"):
        SiameseTracker(OracleBackend(any_search_size=False), TrackerConfig(lost_score=0.5))
    for bad in ({"lost_score": 1.0}, {"lost_score": -0.1}, {"lost_search_size": 0}):
        with pytest.raises(HromError, match="lost_score must be in"):
            TrackerConfig(**bad)


def _fading_square(n: int = 25):
    """A moving square whose colour drifts from white towards blue (BGR), 11.3 colour units a frame."""
    frames, gt = moving_square_frames(n=n, step=(5.0, 2.0))
    for i, (f, g) in enumerate(zip(frames, gt)):
        x, y, w, h = (int(v) for v in g)
        f[y:y + h, x:x + w] = (255, 255 - 8 * i, 255 - 8 * i)
    return frames, gt


def test_template_update_follows_a_target_whose_appearance_drifts():
    """A matcher that only finds its template's colour: without updates it loses the square once the
    colour has drifted past its tolerance (frame 4); with them it follows all 24 frames; a
    template_score above every score it reaches means no update at all."""
    frames, gt = _fading_square()
    runs = {}
    for name, cfg in {"off": TrackerConfig(),
                      "on": TrackerConfig(template_lr=1.0, template_keep=0.0),
                      "strict": TrackerConfig(template_lr=1.0, template_keep=0.0, template_score=0.999)}.items():
        backend = ColourBackend()
        trk = SiameseTracker(backend, cfg)
        trk.init(frames[0], gt[0])
        ious = [iou(trk.update(f), g) for f, g in zip(frames[1:], gt[1:])]
        runs[name] = ious, trk.template_updates, backend.templates_set
    for name in ("off", "strict"):
        ious, updates, templates = runs[name]
        assert min(ious[:3]) > 0.9 and max(ious[10:]) == 0.0 and updates == 0 and templates == 1, (name, ious)
    ious, updates, templates = runs["on"]
    assert min(ious) > 0.9 and updates == 24 and templates == 25, ious


def test_template_memory_blends_first_and_running_templates():
    from hrom.tracking.template_memory import TemplateMemory

    memory = TemplateMemory(lr=0.5, keep=0.25)
    memory.reset((np.array([2.0]), np.array([0.0, 8.0])))
    used = memory.add((np.array([4.0]), np.array([4.0, 0.0])))  # running: 3, (2, 4)
    assert used[0].tolist() == [0.25 * 2 + 0.75 * 3] and used[1].tolist() == [1.5, 5.0]
    used = memory.add((np.array([4.0]), np.array([4.0, 0.0])))  # running: 3.5, (3, 2)
    assert used[0].tolist() == [0.25 * 2 + 0.75 * 3.5] and used[1].tolist() == [2.25, 3.5] and memory.updates == 2


def test_template_update_needs_a_backend_with_a_template_state():
    with pytest.raises(HromError, match="oracle backend does not expose its template_state"):
        SiameseTracker(OracleBackend(), TrackerConfig(template_lr=0.1))
    for bad in ({"template_lr": 1.5}, {"template_keep": -0.1}, {"template_score": 2.0}):
        with pytest.raises(HromError, match="template_lr, template_keep and template_score must be in"):
            TrackerConfig(**bad)


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_template_update_runs_on_the_real_backends(tiny_model, backend):
    """Through create_tracker, as the CLI and the benchmarks build it: every confident frame updates
    the template, and the state searched with is the blend of the first and the running one."""
    if backend == "onnx":
        pytest.importorskip("onnxruntime", reason="the ONNX backend needs hrom[onnx]")
    frames, gt = moving_square_frames(n=4)
    trk = create_tracker(tiny_model, hp={"template_lr": 0.5, "template_keep": 0.5, "template_score": 0.0},
                         backend=backend)
    trk.init(frames[0], gt[0])
    first = [np.asarray(a).copy() for a in trk.backend.template_state]
    for f in frames[1:]:
        trk.update(f)
    now = trk.backend.template_state
    assert trk.template_updates == 3 and trk.memory.updates == 3
    for a, b, run in zip(first, now, trk.memory.running):
        assert np.allclose(np.asarray(b), 0.5 * a + 0.5 * np.asarray(run), atol=1e-5)
    assert max(float(np.abs(np.asarray(b) - a).max()) for a, b in zip(first, now)) > 1e-4


def test_frame_formats_give_the_same_boxes(tiny_model):
    frames, gt = moving_square_frames(n=3)
    rng = np.random.default_rng(1)
    frames = [np.ascontiguousarray(np.clip(f.astype(int) + rng.integers(0, 80, f.shape), 0, 255).astype(np.uint8)) for f in frames]
    net = make_backend("torch", tiny_model, "cpu")

    def run(convert, rgb=False):
        t = SiameseTracker(net, TrackerConfig(), rgb=rgb)
        t.init(convert(frames[0]), gt[0])
        return np.array([t.update(convert(f)) for f in frames[1:]]), t.score

    bgr, score = run(lambda f: f)
    assert np.isfinite(bgr).all() and 0 <= score <= 1
    rgb = lambda f: np.ascontiguousarray(f[:, :, ::-1])
    np.testing.assert_allclose(run(rgb, rgb=True)[0], bgr, atol=1e-6)
    np.testing.assert_allclose(run(lambda f: Image.fromarray(rgb(f)))[0], bgr, atol=1e-6)
    np.testing.assert_allclose(run(lambda f: np.dstack([f, np.full(f.shape[:2], 7, np.uint8)]))[0], bgr, atol=1e-6)
    expected = run(lambda f: np.dstack([f[:, :, 1]] * 3))[0]
    assert np.abs(expected - bgr).max() > 0  # grey frames really differ from the colour ones
    for fmt in (lambda f: f[:, :, 1].copy(), lambda f: f[:, :, 1:2].copy(), lambda f: Image.fromarray(f[:, :, 1].copy())):
        np.testing.assert_allclose(run(fmt)[0], expected, atol=1e-6)


@pytest.mark.parametrize("bad", [np.zeros((10, 10, 3), np.float32), np.zeros((10, 10, 2), np.uint8), "frame.jpg"])
def test_bad_frames_are_refused(bad):
    trk = SiameseTracker(OracleBackend())
    with pytest.raises(HromError):
        trk.init(bad, (1, 1, 5, 5))


def test_update_before_init_and_bad_init_boxes():
    trk = SiameseTracker(OracleBackend())
    img = np.zeros((50, 60, 3), np.uint8)
    with pytest.raises(HromError, match="before init"):
        trk.update(img)
    for box in [(1, 1, 0, 5), (1, 1, -3, 5), (1, float("nan"), 5, 5), (70, 1, 5, 5), (1, 2, 3)]:
        with pytest.raises(HromError):
            trk.init(img, box)


def test_create_tracker_presets_checkpoints_and_hp(tmp_path, tiny_model):
    from hrom.models.checkpoint import save_checkpoint

    t = create_tracker("hrom-tiny")
    assert t.name == "hrom-tiny" and t.config.penalty_k == 0.04
    ckpt = save_checkpoint(tiny_model, tmp_path / "mine.pt", tracker_hp={"penalty_k": 0.11, "lr": 0.2})
    t = create_tracker(str(ckpt))
    assert t.name == "mine" and (t.config.penalty_k, t.config.lr) == (0.11, 0.2)
    assert create_tracker(str(ckpt), hp="otb").config.penalty_k == 0.24
    img = np.zeros((120, 160, 3), np.uint8)
    t.init(img, (50, 40, 30, 20))
    assert len(t.update(img)) == 4


def test_create_tracker_errors(monkeypatch, tmp_path):
    with pytest.raises(HromError, match="not a tracker name"):
        create_tracker("no-such-thing")
    with pytest.raises(HromError, match="unknown tracker backend"):
        create_tracker("hrom-tiny", backend="tensorrt")
    with pytest.raises(HromError, match="not a device"):
        create_tracker("hrom-tiny", device="gpu0")
    with pytest.raises(HromError, match="--hp applies"):
        create_tracker("kcf", hp="otb")
    import hrom.models.checkpoint as ck

    monkeypatch.setattr(ck, "bundled_checkpoint", lambda: None)
    with pytest.raises(HromError, match="no bundled HROM weights"):
        create_tracker("hrom")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA; the error path needs a CPU-only machine")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_absent_is_a_clear_error(device):
    with pytest.raises(HromError, match="CUDA was asked for but is not available"):
        create_tracker("hrom-tiny", device=device)


def test_missing_peer_weights_name_the_expected_path(tmp_path, monkeypatch):
    with pytest.raises(HromError, match=str(tmp_path / "vittrack" / "vitTracker.onnx")):
        create_tracker("vit", peers_dir=tmp_path)
    monkeypatch.setenv("HROM_PEERS_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(HromError, match="elsewhere/nanotrack_v2/nanotrack_backbone_sim.onnx"):
        create_tracker("nano")
