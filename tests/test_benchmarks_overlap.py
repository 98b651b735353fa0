"""VOT overlap conventions: hand-counted pixels for the VOT2018 region library and the Python VOT
toolkit, exact geometry as an option, and the toolkit itself as an oracle when installed."""

from __future__ import annotations

import numpy as np
import pytest

from hrom.benchmarks.raster import region_overlap, region_overlaps
from hrom.errors import HromError

BIG = (100, 100)  # an image that clips nothing
DIAMOND = [5, 0, 10, 5, 5, 10, 0, 5]


def test_vot2018_counts_both_edges():
    # [0,0,10,10] covers columns/rows 0..10 (11 x 11 = 121 px), [5,5,10,10] 5..15; they share 6 x 6
    assert region_overlap([0, 0, 10, 10], [5, 5, 10, 10], BIG) == pytest.approx(36 / 206, abs=1e-7)
    # the same pair as polygons gives the same raster
    assert region_overlap([0, 0, 10, 0, 10, 10, 0, 10], [5, 5, 15, 5, 15, 15, 5, 15], BIG) == pytest.approx(36 / 206, abs=1e-7)
    # a box shifted by one pixel: 21 x 21 each, 20 x 21 shared
    assert region_overlap([10, 10, 20, 20], [11, 10, 20, 20], BIG) == pytest.approx(420 / 462, abs=1e-7)


def test_vot2018_clips_to_the_image_bound():
    # [-5,-5,10,10] keeps columns/rows 0..5 inside the image: 6 x 6 = 36 px, all inside [0,0,10,10] (121 px)
    assert region_overlap([-5, -5, 10, 10], [0, 0, 10, 10], BIG) == pytest.approx(36 / 121, abs=1e-7)
    # an 8 x 8 bound (pixels 0..8 with pysot's (W, H) bound): 9 x 9 = 81 px left of the first box,
    # 4 x 4 = 16 of the second, all shared
    assert region_overlap([0, 0, 10, 10], [5, 5, 10, 10], (8, 8)) == pytest.approx(16 / 81, abs=1e-7)
    assert region_overlap([200, 200, 10, 10], [0, 0, 10, 10], BIG) == 0.0  # outside the image


def test_vot2018_polygons():
    # diamond rows 0..10: 0 (a lone vertex is dropped), 3, 5, 7, 9, 11, 9, 7, 5, 3, 0 = 59 px;
    # [0,0,10,5] covers rows 0..5 x columns 0..10 = 66 px and shares rows 0..5 of the diamond: 35 px
    assert region_overlap([0, 0, 10, 5], DIAMOND, BIG) == pytest.approx(35 / 90, abs=1e-7)
    assert region_overlap(DIAMOND, DIAMOND, BIG) == pytest.approx(1.0)


def test_vot2018_bounds_that_only_touch_give_zero():
    # both rasters contain column 10, but the library returns 0 when the region bounds only touch
    assert region_overlap([0, 0, 10, 10], [10, 0, 10, 10], BIG) == 0.0


def test_vot_toolkit_convention():
    # a w x h box covers w x h pixels: 10 x 10 each, 5 x 5 shared
    assert region_overlap([0, 0, 10, 10], [5, 5, 10, 10], BIG, "vot-toolkit") == pytest.approx(25 / 175)
    # clipped to the image: 5 x 5 of the first box remain, all inside the second (100 px)
    assert region_overlap([-5, -5, 10, 10], [0, 0, 10, 10], BIG, "vot-toolkit") == pytest.approx(25 / 100)
    # diamond rows 0..10: 1, 3, 5, 7, 9, 11, 9, 7, 5, 3, 1 = 61 px; [0,0,11,6] = rows 0..5 x columns 0..10
    # (66 px) shares 1 + 3 + 5 + 7 + 9 + 11 = 36
    assert region_overlap([0, 0, 11, 6], DIAMOND, BIG, "vot-toolkit") == pytest.approx(36 / 91)


def test_exact_geometry_option():
    assert region_overlap([0, 0, 10, 10], [5, 5, 10, 10], BIG, "exact") == pytest.approx(25 / 175, abs=1e-6)


def test_codes_and_bad_convention():
    ov = region_overlaps([[1.0], [0, 0, 10, 10], None, [2.0]], np.tile([5.0, 5, 10, 10], (4, 1)), BIG)
    assert np.isnan(ov[[0, 2, 3]]).all() and ov[1] == pytest.approx(36 / 206, abs=1e-7)
    with pytest.raises(HromError, match="overlap 'iou'"):
        region_overlap([0, 0, 1, 1], [0, 0, 1, 1], BIG, "iou")


def _random_regions(rng, n, W, H):
    """Boxes and rotated rectangles around and across the image border, some on half pixels,
    some with zero or negative size (what trackers sometimes report)."""
    boxes = np.c_[rng.uniform(-15, W, n), rng.uniform(-15, H, n), rng.uniform(-3, 30, n), rng.uniform(-3, 25, n)]
    boxes[::7] = np.round(boxes[::7] * 2) / 2
    c, s = np.cos(rng.uniform(0, np.pi, n)), np.sin(rng.uniform(0, np.pi, n))
    a, b = rng.uniform(0.3, 20, n), rng.uniform(0.3, 15, n)
    cx, cy = rng.uniform(-5, W + 5, n), rng.uniform(-5, H + 5, n)
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    polys = np.stack([np.stack([cx + c * u * a - s * v * b, cy + s * u * a + c * v * b], 1) for u, v in corners], 1)
    polys = polys.reshape(n, 8)
    polys[::5] = np.round(polys[::5] * 2) / 2
    return boxes, polys


def test_vot_toolkit_convention_matches_the_toolkit():
    from hrom.vot_cli import install_attributee_shim

    install_attributee_shim()
    region = pytest.importorskip("vot.region", reason="needs vot-toolkit (pip install --no-deps vot-toolkit==0.9.0)")
    rng = np.random.default_rng(0)
    W, H = 60, 40
    boxes, polys = _random_regions(rng, 600, W, H)

    def theirs(v):
        return region.Rectangle(*v) if len(v) == 4 else region.Polygon([tuple(p) for p in np.reshape(v, (-1, 2))])

    for a, b in ((boxes, polys), (polys, polys[::-1]), (boxes, boxes[::-1])):
        ours = region_overlaps(list(a), b, (W, H), "vot-toolkit")
        ref = [region.calculate_overlap(theirs(x), theirs(y), (W, H)) for x, y in zip(a, b)]
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
        assert (ours > 0).mean() > 0.05  # the sample does overlap
