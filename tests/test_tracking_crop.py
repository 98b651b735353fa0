"""Crop / resize / pad geometry of the tracker's template and search regions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hrom.geometry import context_side, mean_color
from hrom.tracking.crop import Cropper
from hrom.tracking.siamese import SiameseTracker
from helpers.tracking import FixedBackend

RED_BGR = (0, 0, 255)


def scene():
    """300x200 grey frame with a red 40x40 square at x 100..140, y 60..100."""
    img = np.full((200, 300, 3), 50, np.uint8)
    img[60:100, 100:140] = RED_BGR
    return img


def test_unit_scale_crop_is_an_exact_copy():
    img = scene()
    patch = Cropper().crop(img, 120.0, 80.0, 80.0, 80, (0, 0, 0))
    np.testing.assert_array_equal(patch, img[40:120, 80:160])
    assert (patch[20:60, 20:60] == RED_BGR).all() and (patch[:20] == 50).all()


def test_downscaled_crop_matches_cv2_resize():
    img = (np.random.default_rng(0).random((200, 300, 3)) * 255).astype(np.uint8)
    patch = Cropper().crop(img, 150.0, 100.0, 160.0, 80, (0, 0, 0))
    ref = cv2.resize(img[20:180, 70:230], (80, 80), interpolation=cv2.INTER_LINEAR)
    assert np.abs(patch.astype(int) - ref.astype(int)).max() <= 1


def test_outside_part_is_padded_with_mean_colour():
    img = scene()
    pad = mean_color(img)
    assert pad[2] == pytest.approx((50 * (60000 - 1600) + 255 * 1600) / 60000)
    patch = Cropper().crop(img, 10.0, 20.0, 80.0, 80, pad)   # covers x -30..50, y -20..60
    assert patch[0, 0].tolist() == [round(v) for v in pad]
    assert patch[5, 70].tolist() == [round(v) for v in pad]  # above the frame
    np.testing.assert_array_equal(patch[20:, 30:], img[0:60, 0:50])


def test_to_input_is_rgb_float_nchw_and_reuses_buffers():
    img = scene()
    c = Cropper()
    p = c.crop(img, 120.0, 80.0, 80.0, 80, (0, 0, 0))
    x = c.to_input(p, "bgr")
    assert x.shape == (1, 3, 80, 80) and x.dtype == np.float32
    assert x[0, :, 40, 40].tolist() == [255.0, 0.0, 0.0]      # red in RGB order
    assert c.to_input(p, "rgb")[0, :, 40, 40].tolist() == [0.0, 0.0, 255.0]
    assert c.crop(img, 10.0, 10.0, 80.0, 80, (0, 0, 0)) is p  # same buffer, no per-frame allocation


def test_template_and_search_regions_of_the_tracker():
    cls = np.zeros((1, 10, 25, 25), np.float32)
    loc = np.zeros((1, 20, 25, 25), np.float32)
    backend = FixedBackend(cls, loc)
    trk = SiameseTracker(backend)
    img = scene()
    trk.init(img, (100, 60, 40, 40))
    z = backend.templates[0]
    assert z.shape == (1, 3, 127, 127)
    # context: side = sqrt((40 + 40) * (40 + 40)) = 80 px -> the 40 px square spans 63.5 px in the middle
    assert context_side(40, 40, 0.5) == 80.0
    red = (z[0, 0] > 200) & (z[0, 2] < 50)
    cols = np.nonzero(red[63])[0]
    assert cols.min() in (31, 32) and cols.max() in (94, 95)
    trk.update(img)
    x = backend.searches[0]
    assert x.shape == (1, 3, 255, 255)
    # search side = 80 * 255 / 127 frame px around the same centre: the square spans 127 * 40 / 80 px
    red = (x[0, 0] > 200) & (x[0, 2] < 50)
    cols = np.nonzero(red[127])[0]
    assert abs((cols.min() + cols.max() + 1) / 2 - 127.5) <= 0.5
    assert abs(len(cols) - 63.5) <= 1.5
    # zero maps: the best proposal is the centre 64x64 anchor -> the centre stays put and the size
    # moves slightly towards 64 crop px = 64 * 80 / 127 = 40.31 frame px
    b = trk.box
    assert [b[0] + b[2] / 2, b[1] + b[3] / 2] == pytest.approx([120.0, 80.0], abs=1e-9)
    assert trk.last_step.index % 625 == 12 * 25 + 12 and trk.last_step.index // 625 == 2
    assert 40.0 < b[2] < 64 * 80 / 127 and b[2] == b[3]
