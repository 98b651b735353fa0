"""The training criterion on hand-computed cases."""

from __future__ import annotations

import math

import pytest
import torch

from hrom.training.losses import LossConfig, TrackingLoss, select_cross_entropy, weighted_loc_loss


def test_cross_entropy_reads_bg_fg_layout_and_mixes_half_half():
    # A = 2 anchors, 1x1 map: channels are [bg_a0, bg_a1, fg_a0, fg_a1]
    cls = torch.tensor([0.0, 0.0, math.log(3.0), 0.0]).view(1, 4, 1, 1)
    label = torch.tensor([1, 0]).view(1, 2, 1, 1)
    # a0 positive: p(fg) = 3 / (1 + 3) -> -ln 0.75; a1 negative with equal logits -> ln 2
    expected = 0.5 * -math.log(0.75) + 0.5 * math.log(2.0)
    assert select_cross_entropy(cls, label).item() == pytest.approx(expected, rel=1e-6)
    # swapping the anchors' labels must change the value (the layout is not symmetric)
    swapped = torch.tensor([0, 1]).view(1, 2, 1, 1)
    assert select_cross_entropy(cls, swapped).item() == pytest.approx(0.5 * -math.log(0.25) + 0.5 * math.log(2.0), rel=1e-6)


def test_cross_entropy_means_per_class_and_ignores_minus_one():
    # A = 1, 1x4 map: two positives with different confidences, one negative, one ignored
    bg = torch.tensor([0.0, 0.0, 2.0, -50.0])
    fg = torch.tensor([1.0, -1.0, 0.0, 50.0])
    cls = torch.stack([bg, fg]).view(1, 2, 1, 4)
    label = torch.tensor([1, 1, 0, -1]).view(1, 1, 1, 4)
    ce = lambda logit_bg, logit_fg, target: -torch.log_softmax(torch.tensor([logit_bg, logit_fg]), 0)[target].item()
    pos = (ce(0.0, 1.0, 1) + ce(0.0, -1.0, 1)) / 2
    neg = ce(2.0, 0.0, 0)
    assert select_cross_entropy(cls, label).item() == pytest.approx(0.5 * pos + 0.5 * neg, rel=1e-6)


def test_cross_entropy_without_positives_is_half_the_negative_term():
    cls = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)
    label = torch.tensor([0]).view(1, 1, 1, 1)
    expected = 0.5 * -torch.log_softmax(torch.tensor([1.0, 0.0]), 0)[0].item()
    out = select_cross_entropy(cls.requires_grad_(), label)
    assert out.item() == pytest.approx(expected, rel=1e-6)
    out.backward()  # still differentiable


def _loc_case():
    # B = 2, A = 1, 1x1 map; batch item 0 has deltas 0.05 / -1.0 / 0 / 2.0 off the target, weight 1;
    # item 1 has weight 0 (a negative pair): contributes nothing.
    label = torch.zeros(2, 4, 1, 1, 1)
    pred = torch.tensor([[0.05, -1.0, 0.0, 2.0], [9.0, 9.0, 9.0, 9.0]]).view(2, 4, 1, 1)
    weight = torch.tensor([1.0, 0.0]).view(2, 1, 1, 1)
    return pred, label, weight


def test_smooth_l1_by_hand():
    pred, label, weight = _loc_case()
    beta = 1.0 / 9.0
    # |d| < beta: 0.5 d^2 / beta;  otherwise |d| - beta / 2
    per = 0.5 * 0.05 ** 2 / beta + (1.0 - beta / 2) + 0.0 + (2.0 - beta / 2)
    assert weighted_loc_loss(pred, label, weight, "smooth_l1", beta).item() == pytest.approx(per / 2, rel=1e-6)
    assert weighted_loc_loss(pred, label, weight, "l1").item() == pytest.approx((0.05 + 1.0 + 2.0) / 2, rel=1e-6)


def test_loc_weights_scale_each_anchor():
    # A = 2 anchors, weights 0.25 / 0.75, L1 errors 1 and 2 (summed over the 4 deltas: 4 and 8)
    pred = torch.zeros(1, 8, 1, 1)
    label = torch.cat([torch.full((1, 4, 1, 1, 1), 1.0), torch.full((1, 4, 1, 1, 1), 2.0)], dim=2)
    weight = torch.tensor([0.25, 0.75]).view(1, 2, 1, 1)
    assert weighted_loc_loss(pred, label, weight, "l1").item() == pytest.approx(0.25 * 4 + 0.75 * 8)


def test_total_is_weighted_sum():
    cls = torch.tensor([0.0, 0.0, math.log(3.0), 0.0]).view(1, 4, 1, 1)
    pred = torch.tensor([0.5, 0, 0, 0, 0, 0, 0, 0], dtype=torch.float32).view(1, 8, 1, 1)
    batch = {"label_cls": torch.tensor([1, 0]).view(1, 2, 1, 1), "label_loc": torch.zeros(1, 4, 2, 1, 1),
             "label_loc_weight": torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)}
    out = TrackingLoss(LossConfig(cls_weight=1.0, loc_weight=1.2, smooth_l1_beta=1.0))(cls, pred, batch)
    cls_expected = 0.5 * -math.log(0.75) + 0.5 * math.log(2.0)
    loc_expected = 0.5 * 0.5 ** 2  # |0.5| < beta = 1
    assert out["cls"].item() == pytest.approx(cls_expected, rel=1e-6)
    assert out["loc"].item() == pytest.approx(loc_expected, rel=1e-6)
    assert out["loss"].item() == pytest.approx(cls_expected + 1.2 * loc_expected, rel=1e-6)


def test_bad_loss_config_is_rejected():
    from hrom.errors import HromError

    with pytest.raises(HromError, match="loc_loss"):
        LossConfig(loc_loss="l2")


def _deltas(*rows):
    """(dx, dy, dw, dh) per anchor -> a (1, 4, A, 1, 1) delta map."""
    return torch.tensor(rows, dtype=torch.float32).T.reshape(1, 4, len(rows), 1, 1)


def test_giou_of_deltas_by_hand():
    from hrom.training.losses import delta_giou_loss

    target = _deltas((0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    pred = _deltas((0, 0, 0, 0),             # the anchor itself: loss 0
                   (0, 0, math.log(2), 0),   # twice as wide, same centre: IoU 1/2
                   (2, 0, 0, 0))             # shifted by 2 widths: IoU 0, hull 3 x 1, union 2 -> GIoU -1/3
    loss = delta_giou_loss(pred, target).flatten()
    torch.testing.assert_close(loss, torch.tensor([0.0, 0.5, 4.0 / 3.0]))


def test_giou_of_deltas_equals_torchvision_on_pixel_boxes():
    """In anchor units the loss needs no anchor: decoding both with any (non-square) anchor and
    scoring the pixel boxes with torchvision gives the same numbers."""
    from torchvision.ops import generalized_box_iou_loss

    from hrom.training.losses import delta_giou_loss

    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(1, 4, 6, 1, 1, generator=g) * 0.5, torch.randn(1, 4, 6, 1, 1, generator=g) * 0.5
    ax, ay, aw, ah = 120.0, 80.0, 64.0, 24.0

    def pixels(d):
        d = d.reshape(4, -1)
        cx, cy, w, h = ax + d[0] * aw, ay + d[1] * ah, aw * d[2].exp(), ah * d[3].exp()
        return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)

    expected = generalized_box_iou_loss(pixels(pred), pixels(target), reduction="none")
    torch.testing.assert_close(delta_giou_loss(pred, target).flatten(), expected, rtol=1e-5, atol=1e-6)


def test_smooth_l1_plus_giou_adds_the_overlap_term_per_weighted_anchor():
    pred = torch.zeros(1, 8, 1, 1)
    label = torch.cat([torch.zeros(1, 4, 1, 1, 1), _deltas((0, 0, math.log(2), 0))], dim=2)
    weight = torch.tensor([0.5, 0.5]).view(1, 2, 1, 1)
    plain = weighted_loc_loss(pred, label, weight, "smooth_l1")
    both = weighted_loc_loss(pred, label, weight, "smooth_l1+giou")
    assert both.item() == pytest.approx(plain.item() + 0.5 * 0.5, rel=1e-6)  # anchor 2: IoU 1/2, weight 1/2
    out = TrackingLoss(LossConfig(loc_loss="smooth_l1+giou"))(torch.zeros(1, 4, 1, 1), pred,
                                                               {"label_cls": torch.ones(1, 2, 1, 1), "label_loc": label,
                                                                "label_loc_weight": weight})
    assert out["loc"].item() == pytest.approx(both.item(), rel=1e-6)
