"""Anchor targets against hand-computed cases and torchvision's IoU."""

from __future__ import annotations

import numpy as np
import torch
from torchvision.ops import box_convert, box_iou

from hrom.data.anchor_target import AnchorTargetBuilder
from hrom.models.anchors import AnchorConfig, anchor_grid

BUILDER = AnchorTargetBuilder()


def test_square_64_box_at_centre_has_the_nine_hand_computed_positives():
    # Ratio-1 anchors are 64x64 on an 8-px grid centred on pixel 127 (cell 12).  Shifting by
    # (dx, dy) gives IoU = I / (8192 - I) with I = (64-|dx|)(64-|dy|): 1, 0.78 (8,0), 0.62 (8,8),
    # 0.6 (16,0) -> not > 0.6.  Other ratios (88x40, 40x80, 104x32, 32x96) stay below 0.6.
    box = np.array([127 - 32, 127 - 32, 127 + 32, 127 + 32], dtype=np.float32)
    t = BUILDER(box, neg=False, rng=np.random.default_rng(0))
    pos = np.argwhere(t.cls == 1)
    assert sorted(map(tuple, pos)) == [(2, y, x) for y in (11, 12, 13) for x in (11, 12, 13)]
    np.testing.assert_allclose(t.loc_weight[t.cls == 1], 1 / 9)
    assert t.loc_weight.sum() == np.float32(9 * np.float32(1 / 9))
    assert (t.cls == 0).sum() == 48  # total 64 - at most 16 positives
    # deltas: centre anchor exact, right neighbour is 8 px further right, ratio 0.5 anchor 88x40
    np.testing.assert_allclose(t.loc[:, 2, 12, 12], [0, 0, 0, 0], atol=1e-7)
    np.testing.assert_allclose(t.loc[:, 2, 12, 13], [-8 / 64, 0, 0, 0], atol=1e-7)
    np.testing.assert_allclose(t.loc[:, 1, 12, 12], [0, 0, np.log(64 / 88), np.log(64 / 40)], atol=1e-6)
    np.testing.assert_allclose(t.overlap[2, 12, 13], 3584 / (8192 - 3584), rtol=1e-6)


def test_random_boxes_follow_the_iou_rules_with_torchvision_reference():
    anchors = box_convert(torch.from_numpy(anchor_grid(AnchorConfig(), 25, 127)).double(), "cxcywh", "xyxy")
    rng = np.random.default_rng(3)
    saw_cap = False
    cases = [(*rng.uniform(60, 195, size=2), *rng.uniform(20, 160, size=2)) for _ in range(40)]
    cases.append((131.0, 131.0, 42.0, 72.0))  # 20 anchors above 0.6: exercises the cap
    for i, (cx, cy, w, h) in enumerate(cases):
        box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        t = BUILDER(box, neg=False, rng=np.random.default_rng(i))
        iou = box_iou(torch.from_numpy(box)[None], anchors)[0].numpy().reshape(5, 25, 25)
        np.testing.assert_allclose(t.overlap, iou, atol=1e-5)
        n_pos, n_neg = int((iou > 0.6).sum()), int((iou < 0.3).sum())
        assert (t.cls == 1).sum() == min(n_pos, 16)
        assert (t.cls == 0).sum() == min(n_neg, 48)
        assert (iou[t.cls == 1] > 0.6).all() and (iou[t.cls == 0] < 0.3).all()
        saw_cap |= n_pos > 16
        if n_pos:
            np.testing.assert_allclose(t.loc_weight.sum(), 1.0, rtol=1e-5)
            assert (t.loc_weight[t.cls != 1] == 0).all()
        else:
            assert t.loc_weight.sum() == 0
        # decoding the deltas of any anchor gives the box back
        a = anchor_grid(AnchorConfig(), 25, 127).reshape(5, 25, 25, 4)
        d = t.loc[:, 3, 7, 9]
        ax, ay, aw, ah = a[3, 7, 9]
        dec = [ax + d[0] * aw, ay + d[1] * ah, aw * np.exp(d[2]), ah * np.exp(d[3])]
        np.testing.assert_allclose(dec, [cx, cy, w, h], rtol=1e-4)
    assert saw_cap, "no case exercised the 16-positive cap"


def test_negative_pair_is_all_negative_around_the_distractor():
    # distractor centred 40 px right / 16 px up of the centre: cells x = 12 + 5, y = 12 - 2
    box = np.array([127 + 40 - 20, 127 - 16 - 30, 127 + 40 + 20, 127 - 16 + 30], dtype=np.float32)
    t = BUILDER(box, neg=True, rng=np.random.default_rng(1))
    assert (t.cls == 1).sum() == 0 and (t.cls == 0).sum() == 16
    a, y, x = np.nonzero(t.cls == 0)
    assert x.min() >= 17 - 3 and x.max() <= 17 + 3 and y.min() >= 10 - 3 and y.max() <= 10 + 3
    assert t.loc_weight.sum() == 0 and not t.loc.any()
    # at the border, the 7x7 window is clipped but never empty
    t = BUILDER(np.array([10, 10, 40, 40], np.float32), neg=True, rng=np.random.default_rng(1))
    assert (t.cls == 0).sum() == 16 and np.nonzero(t.cls == 0)[2].max() <= 2


def test_same_rng_same_targets():
    box = np.array([90, 100, 170, 150], np.float32)
    a = BUILDER(box, False, np.random.default_rng(5))
    b = BUILDER(box, False, np.random.default_rng(5))
    np.testing.assert_array_equal(a.cls, b.cls)
