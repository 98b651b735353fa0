"""SiamRPN++ post-processing on hand-made cls/loc maps, against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hrom.tracking.config import HP_PRESETS, TrackerConfig, resolve_tracker_config
from hrom.tracking.postprocess import (PostProcessor, change_penalty, clip_state, decode_boxes, foreground_scores,
                                       hann_window)

A, S = 5, 25
BEST = 2 * S * S + 12 * S + 14  # anchor 2 (ratio 1, 64x64), row 12, column 14 -> 2 cells right of centre


def one_peak_maps(dw: float = math.log(1.5)):
    """fg logit 10 at anchor 2 / cell (12, 14), -10 elsewhere; that anchor regresses w x1.5."""
    cls = np.zeros((1, 2 * A, S, S), np.float32)
    cls[0, A:] = -10.0
    cls[0, A + 2, 12, 14] = 10.0
    loc = np.zeros((1, 4 * A, S, S), np.float32)
    loc[0, 2 * A + 2, 12, 14] = dw  # dw of anchor 2
    return cls, loc


def test_window_is_hann_tiled_anchor_major():
    w = hann_window(S, A)
    assert w.shape == (A * S * S,)
    for a in range(A):
        assert w[a * S * S + 12 * S + 12] == pytest.approx(1.0)     # centre of every anchor's map
        assert w[a * S * S] == 0.0                                 # corner
    # cell (12, 14): hann(25)[14] * hann(25)[12] = (0.5 - 0.5 cos(2 pi 14 / 24)) * 1
    assert w[BEST] == pytest.approx(0.9330127018922194)


def test_scores_are_softmax_foreground_and_boxes_decode_from_anchors():
    post = PostProcessor(TrackerConfig())
    cls, loc = one_peak_maps()
    score = foreground_scores(cls, A)
    assert score[BEST] == pytest.approx(1 / (1 + math.exp(-10)))
    assert score[0] == pytest.approx(1 / (1 + math.exp(10)))
    assert post.anchors[BEST].tolist() == [16.0, 0.0, 64.0, 64.0]
    boxes = decode_boxes(loc, post.anchors)
    assert boxes[:, BEST] == pytest.approx([16.0, 0.0, 96.0, 64.0])
    # zero deltas decode to the anchors themselves; dx = 0.5 moves by half the anchor width
    loc2 = np.zeros_like(loc)
    loc2[0, 0, 3, 4] = 0.5                                        # dx of anchor 0 at (3, 4)
    b = decode_boxes(loc2, post.anchors)
    i = 0 * S * S + 3 * S + 4
    assert b[:, i] == pytest.approx([post.anchors[i, 0] + 0.5 * post.anchors[i, 2], post.anchors[i, 1], *post.anchors[i, 2:]])


def test_change_penalty_hand_computed():
    boxes = np.array([[0.0, 0.0], [0.0, 0.0], [96.0, 64.0], [64.0, 64.0]])
    pen = change_penalty(boxes, 64.0, 64.0, 0.04)
    assert pen[1] == pytest.approx(1.0)  # same size and ratio: no penalty
    # 96x64 against 64x64: s_c = sqrt(176*144)/128 = 1.2437343, r_c = 1.5 -> exp(-(1.8656014 - 1) * 0.04)
    assert pen[0] == pytest.approx(0.9659684963427948)


def test_step_moves_and_smooths_size_with_lr():
    cfg = TrackerConfig(penalty_k=0.04, window_influence=0.44, lr=0.4)
    post = PostProcessor(cfg)
    cls, loc = one_peak_maps()
    step = post.step(cls, loc, np.array([500.0, 500.0]), np.array([64.0, 64.0]), 1.0, (1000, 1000))
    assert step.index == BEST
    assert step.score == pytest.approx(0.9999546021312976)
    assert step.penalty == pytest.approx(0.9659684963427948)
    # lr = penalty * score * LR = 0.96596850 * 0.99995460 * 0.4
    assert step.lr == pytest.approx(0.3863698573727309)
    assert step.center.tolist() == pytest.approx([516.0, 500.0])      # +16 crop px at scale 1
    assert step.size.tolist() == pytest.approx([76.36383543592738, 64.0])  # 64 (1 - lr) + 96 lr


def test_step_scales_offsets_by_crop_scale():
    post = PostProcessor(TrackerConfig())
    cls, loc = one_peak_maps(dw=0.0)
    # scale_z = 0.5: one crop pixel is two frame pixels; the target is 32x32 in the frame
    step = post.step(cls, loc, np.array([300.0, 200.0]), np.array([128.0, 128.0]), 0.5, (1000, 1000))
    assert step.center.tolist() == pytest.approx([332.0, 200.0])
    assert step.size.tolist() == pytest.approx([128.0, 128.0])


def test_window_influence_overrides_weak_off_centre_peak():
    cls, loc = one_peak_maps(dw=0.0)
    cls[0, A + 2, 12, 14] = -9.0   # barely above the rest: the window keeps the centre
    step = PostProcessor(TrackerConfig(window_influence=0.44)).step(cls, loc, np.array([500.0, 500.0]),
                                                                    np.array([64.0, 64.0]), 1.0, (1000, 1000))
    assert step.index % (S * S) == 12 * S + 12
    step0 = PostProcessor(TrackerConfig(window_influence=0.0)).step(cls, loc, np.array([500.0, 500.0]),
                                                                    np.array([64.0, 64.0]), 1.0, (1000, 1000))
    assert step0.index == BEST


def test_clip_keeps_box_inside_and_min_size():
    # centre outside on the left/top, box larger than the frame in width
    assert clip_state(-20.0, 5.0, 400.0, 30.0, (320, 240), 10.0) == (160.0, 15.0, 320.0, 30.0)
    # tiny box is raised to 10 px and kept inside at the bottom-right corner
    assert clip_state(319.0, 239.0, 2.0, 3.0, (320, 240), 10.0) == (315.0, 235.0, 10.0, 10.0)
    # pysot behaviour: only the centre is clipped
    assert clip_state(-20.0, 250.0, 50.0, 3.0, (320, 240), 10.0, keep_box_inside=False) == (0.0, 240.0, 50.0, 10.0)


def test_step_output_clipped_to_image():
    cls, loc = one_peak_maps(dw=math.log(4 / 64))
    loc[0, 3 * A + 2, 12, 14] = math.log(4 / 64)   # the proposal is 4x4, like the current box
    step = PostProcessor(TrackerConfig()).step(cls, loc, np.array([95.0, 50.0]), np.array([4.0, 4.0]), 1.0, (100, 100))
    assert step.size.tolist() == [10.0, 10.0]
    assert step.center.tolist() == [95.0, 50.0]   # 95 + 16 -> clipped to 100 - 10 / 2


def test_hp_presets_and_precedence(tmp_path):
    assert (HP_PRESETS["vot"].penalty_k, HP_PRESETS["vot"].window_influence, HP_PRESETS["vot"].lr) == (0.05, 0.42, 0.38)
    assert (HP_PRESETS["otb"].penalty_k, HP_PRESETS["otb"].window_influence, HP_PRESETS["otb"].lr) == (0.24, 0.5, 0.25)
    ckpt = {"penalty_k": 0.1, "lr": 0.3}
    assert resolve_tracker_config(None, ckpt).penalty_k == 0.1
    assert resolve_tracker_config(None, ckpt).window_influence == TrackerConfig().window_influence
    assert resolve_tracker_config("otb", ckpt).penalty_k == 0.24
    assert resolve_tracker_config(None, None) == HP_PRESETS["default"]
    y = tmp_path / "hp.yaml"
    y.write_text("penalty_k: 0.3\nwindow_influence: 0.2\n")
    assert resolve_tracker_config(str(y)).window_influence == 0.2


@pytest.mark.parametrize("hp", ["nope", {"penalty": 1.0}, {"window_influence": 2.0}])
def test_bad_hp_is_a_clear_error(hp):
    from hrom.errors import HromError

    with pytest.raises(HromError):
        resolve_tracker_config(hp)
