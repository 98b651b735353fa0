"""Function-preserving widening: the wider network computes what the trained narrow one did."""

from __future__ import annotations

import pytest
import torch

from hrom.errors import HromError
from hrom.models import build_model, get_preset
from hrom.models.widen import widen_weights, widened
from helpers.export import random_pixels, realistic_model


def _outputs(model, seed=3):
    z, x = torch.from_numpy(random_pixels(127, seed)), torch.from_numpy(random_pixels(255, seed + 1))
    with torch.no_grad():
        return model.eval()(z, x)


def test_widened_small_computes_what_tiny_computes():
    narrow = realistic_model("hrom-tiny")  # non-trivial BN statistics and deformable offsets
    wide = widened(narrow, get_preset("hrom-small"), seed=0)
    assert wide.backbone.channels == [16, 32, 64, 128] and wide.config.feature_channels == 64
    for a, b in zip(_outputs(narrow), _outputs(wide)):
        assert a.abs().max() > 0.3  # outputs that could differ
        torch.testing.assert_close(b, a, rtol=0, atol=1e-4)


def test_copies_are_not_identical_so_training_can_separate_them():
    narrow = realistic_model("hrom-tiny")
    wide = widened(narrow, get_preset("hrom-small"), seed=0)
    w = wide.backbone.conv2.weight  # reads the stem's 16 -> 32 duplicated channels
    n = narrow.backbone.conv2.weight
    # copies i and i + 16 of an input channel split each weight: the halves differ but sum back
    torch.testing.assert_close(w[:16, :16] + w[:16, 16:], n, rtol=0, atol=1e-6)
    assert (w[:16, :16] - w[:16, 16:]).abs().max() > 0.1 * n.abs().max()
    # the output copies of a duplicated channel carry the same BatchNorm statistics
    torch.testing.assert_close(wide.backbone.bn1.running_mean, narrow.backbone.bn1.running_mean.repeat(2))
    other = widened(narrow, get_preset("hrom-small"), seed=1)
    assert not torch.equal(other.backbone.conv2.weight, w)  # the split follows the seed


def test_widening_refuses_configs_that_differ_in_more_than_doubled_width():
    narrow = build_model("hrom-tiny")
    three_halves = get_preset("hrom-tiny").replace(name="w12", width=12)
    with pytest.raises(HromError, match="only equal or doubled"):
        widen_weights(narrow, build_model(three_halves))
    deeper = get_preset("hrom-tiny").replace(name="deep", blocks_per_branch=2)
    with pytest.raises(HromError, match="not in the narrow network"):
        widen_weights(narrow, build_model(deeper))
