"""Crop geometry: the crops contain the target exactly where the returned box says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hrom.data import DataConfig, SourceConfig, TrackingPairDataset
from hrom.data.config import AugmentConfig
from hrom.geometry import crop_transform, mean_color, warp_crop
from hrom.data.sources import box_in_crop
from hrom.data.synthetic import SyntheticSpec, render_frame, sequence_boxes, synthetic_source

SPEC = SyntheticSpec(num_sequences=4, num_frames=20)


def _inside_outside(img: np.ndarray, bbox, margin=1.5):
    """Boolean masks of pixels whose centres are >= margin inside / outside the box."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    x1, y1, x2, y2 = bbox
    inside = (xx >= x1 + margin) & (xx <= x2 - margin) & (yy >= y1 + margin) & (yy <= y2 - margin)
    outside = (xx < x1 - margin) | (xx > x2 + margin) | (yy < y1 - margin) | (yy > y2 + margin)
    return inside, outside


def _check_object_at(img: np.ndarray, bbox):
    """Object texture has every channel >= 170, background and padding <= 150."""
    inside, outside = _inside_outside(img, bbox)
    assert inside.sum() > 20
    assert img[inside].min() >= 169.5, "crop pixel inside the box is not the object"
    assert img[outside].max() <= 150.5, "object pixel found outside the box"


def test_hand_computed_search_box():
    box = np.array([100, 100, 50, 50])  # s_z = sqrt(100 * 100) = 100, k = 1.27
    _, bbox = crop_transform(box, 255)
    np.testing.assert_allclose(bbox, [127 - 31.75, 127 - 31.75, 127 + 31.75, 127 + 31.75], atol=1e-4)
    _, bbox = crop_transform(box, 127)
    np.testing.assert_allclose(bbox, [63 - 31.75, 63 - 31.75, 63 + 31.75, 63 + 31.75], atol=1e-4)
    m, bbox = crop_transform(box, 255, scale=(1.1, 0.9), shift=(10, -6))
    cx, cy = 127 - 10 / 1.1, 127 + 6 / 0.9
    np.testing.assert_allclose(bbox, [cx - 31.75 / 1.1, cy - 31.75 / 0.9, cx + 31.75 / 1.1, cy + 31.75 / 0.9], atol=1e-4)
    # the matrix sends the box's centre pixel (124.5, 124.5) to the box centre
    np.testing.assert_allclose(m @ [124.5, 124.5, 1], [cx, cy], atol=1e-9)
    _, fb = crop_transform(box, 255, scale=(1.1, 0.9), shift=(10, -6), flip=True)
    np.testing.assert_allclose(fb, [254 - bbox[2], bbox[1], 254 - bbox[0], bbox[3]], atol=1e-4)


@pytest.mark.parametrize(
    "scale,shift,flip,size",
    [((1, 1), (0, 0), False, 255), ((1.18, 0.85), (60, -64), False, 255), ((0.82, 1.1), (-40, 30), True, 255),
     ((1.05, 0.95), (4, -4), False, 127)],
)
def test_crop_pixels_match_box(scale, shift, flip, size):
    for s, f in [(0, 0), (1, 7), (2, 19), (3, 11)]:
        img = render_frame(SPEC, s, f)
        box = sequence_boxes(SPEC, s)[f]
        m, bbox = crop_transform(box, size, scale=scale, shift=shift, flip=flip)
        crop = warp_crop(img, m, size, mean_color(img))
        _check_object_at(crop, bbox)


def test_pysot_crop511_route_matches_raw_route():
    """Cropping from a pysot-style 511 crop gives the same box and (nearly) the same pixels."""
    img = render_frame(SPEC, 1, 5)
    box = sequence_boxes(SPEC, 1)[5]
    m511, _ = crop_transform(box, 511)
    c511 = warp_crop(img, m511, 511, mean_color(img))
    cbox = np.asarray(box_in_crop(box[2], box[3]))
    for scale, shift, exact in [((1, 1), (0, 0), True), ((1.12, 0.9), (30, -20), False)]:
        m_raw, b_raw = crop_transform(box, 255, scale=scale, shift=shift)
        m_c, b_c = crop_transform(cbox, 255, scale=scale, shift=shift)
        np.testing.assert_allclose(b_raw, b_c, atol=1e-3)
        a = warp_crop(img, m_raw, 255, mean_color(img)).astype(int)
        b = warp_crop(c511, m_c, 255, mean_color(c511)).astype(int)
        if exact:  # 511 -> 255 at scale 1 is an integer translation: only fixed-point rounding differs
            assert np.abs(a - b).max() <= 1
        else:
            assert np.abs(a - b).mean() < 4.0


def _plain_cfg(**kw) -> DataConfig:
    no_photo = dict(blur=0.0, color=0.0)
    return DataConfig(
        sources=[SourceConfig(type="synthetic", num_sequences=4, num_frames=20)],
        samples_per_epoch=16,
        template=AugmentConfig(shift=4, scale=0.05, flip=0.5, **no_photo),
        search=AugmentConfig(shift=64, scale=0.18, flip=0.5, **no_photo),
        neg=0.0,
        **kw,
    )


def test_dataset_crops_contain_target_where_labels_say():
    cfg = _plain_cfg()
    ds = TrackingPairDataset(cfg, sources=[synthetic_source(SPEC)])
    for i in range(16):
        s = ds.sample(0, i)
        search = s["search"].transpose(1, 2, 0)
        _check_object_at(search, s["bbox"])
        # template: centred within the +-4 px shift, size from the context rule
        z = s["template"].transpose(1, 2, 0)
        assert z[61:66, 61:66].min() >= 169.5
        # positives are exactly the anchors overlapping the box by IoU > 0.6
        pos = s["label_cls"] == 1
        assert pos.any() and np.isclose(s["label_loc_weight"][pos].sum(), 1.0)


def test_crop_cache_gives_the_same_pairs(tmp_path):
    src = synthetic_source(SPEC)
    plain = TrackingPairDataset(_plain_cfg(), sources=[src])
    cached = TrackingPairDataset(_plain_cfg(cache_dir=str(tmp_path), crop_cache=True), sources=[src])
    for i in range(4):
        a, b = plain.sample(0, i), cached.sample(0, i)
        np.testing.assert_allclose(a["bbox"], b["bbox"], atol=1e-3)
        np.testing.assert_array_equal(a["label_cls"], b["label_cls"])
        assert np.abs(a["search"] - b["search"]).mean() < 6.0  # JPEG + second resampling
    files = list((tmp_path / "crops" / "synthetic").rglob("*.jpg"))
    assert files and not list((tmp_path / "crops").rglob("*.tmp*"))
    again = cached.sample(0, 0)  # read back from the cache
    np.testing.assert_array_equal(again["search"], cached.sample(0, 0)["search"])
    assert math.isclose(float(again["bbox"][0]), float(plain.sample(0, 0)["bbox"][0]), abs_tol=1e-3)


def test_pysot_crop511_source_end_to_end(tmp_path):
    """crop511 files made the pysot way from synthetic frames: pairs still have the object in the box."""
    import json

    import cv2

    meta = {}
    for s in range(2):
        video = f"ILSVRC2015_VID_train_0000/snippet_{s}"
        (tmp_path / "crop511" / video).mkdir(parents=True)
        frames = {}
        for f in range(0, 20, 2):
            img, (x, y, w, h) = render_frame(SPEC, s, f), sequence_boxes(SPEC, s)[f]
            m, _ = crop_transform(np.array([x, y, w, h]), 511)
            cv2.imwrite(str(tmp_path / "crop511" / video / f"{f:06d}.00.x.jpg"), warp_crop(img, m, 511, mean_color(img)),
                        [cv2.IMWRITE_PNG_COMPRESSION, 0, cv2.IMWRITE_JPEG_QUALITY, 100])
            frames[f"{f:06d}"] = [float(x), float(y), float(x + w), float(y + h)]
        meta[video] = {"00": frames}
    (tmp_path / "train.json").write_text(json.dumps(meta))
    cfg = _plain_cfg()
    cfg.sources = [SourceConfig(type="pysot", root=str(tmp_path), frame_range=4)]
    ds = TrackingPairDataset(cfg)
    for i in range(6):
        s = ds.sample(0, i)
        inside, outside = _inside_outside(s["search"].transpose(1, 2, 0), s["bbox"], margin=2.5)
        img = s["search"].transpose(1, 2, 0)
        assert img[inside].min() >= 160 and img[outside].max() <= 160  # JPEG ringing tolerance
