"""Dataset readers on fixtures in the real on-disk layouts, on ../shared data, and on bad input."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from hrom.data import DataConfig, SourceConfig, TrackingPairDataset, load_source
from hrom.data.sources import (
    box_in_crop,
    read_coco,
    read_got10k,
    read_imagenet_det,
    read_imagenet_vid,
    read_lasot,
    read_pysot_crops,
)
from hrom.data.synthetic import SyntheticSpec, sequence_boxes, write_got10k_layout
from hrom.data.tracks import TrackSet
from hrom.errors import HromError


def _jpg(path, w=64, h=48, value=100):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def _voc(path, filename, objects, size=(64, 48)):
    """objects: list of (trackid or None, xmin, ymin, xmax, ymax)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"<annotation><folder>x</folder><filename>{filename}</filename>"]
    parts.append(f"<size><width>{size[0]}</width><height>{size[1]}</height></size>")
    for tid, x1, y1, x2, y2 in objects:
        tid_xml = f"<trackid>{tid}</trackid>" if tid is not None else ""
        parts.append(
            f"<object>{tid_xml}<name>n01</name><bndbox><xmax>{x2}</xmax><xmin>{x1}</xmin>"
            f"<ymax>{y2}</ymax><ymin>{y1}</ymin></bndbox><occluded>0</occluded></object>"
        )
    parts.append("</annotation>")
    path.write_text("".join(parts))


# -- COCO --------------------------------------------------------------------------------
def _coco(root):
    images = [{"id": 9, "file_name": "000000000009.jpg"}, {"id": 25, "file_name": "000000000025.jpg"},
              {"id": 30, "file_name": "000000000030.jpg"}]
    anns = [
        {"id": 1, "image_id": 9, "bbox": [1.5, 2.0, 10.0, 20.0], "iscrowd": 0, "category_id": 1},
        {"id": 2, "image_id": 9, "bbox": [5, 6, 7, 8], "iscrowd": 0, "category_id": 3},
        {"id": 3, "image_id": 25, "bbox": [0, 0, 30, 30], "iscrowd": 1, "category_id": 1},  # crowd
        {"id": 4, "image_id": 25, "bbox": [3, 3, 0, 12], "iscrowd": 0, "category_id": 1},  # zero width
        {"id": 5, "image_id": 30, "bbox": [10, 11, 12, 13], "iscrowd": 0, "category_id": 2},
    ]
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps({"images": images, "annotations": anns}))
    for img in images:
        _jpg(root / "train2017" / img["file_name"])


def test_coco_reader_skips_crowd_and_empty(tmp_path):
    _coco(tmp_path)
    ts = read_coco(tmp_path)
    assert (ts.num_videos, len(ts), ts.num_frames) == (2, 3, 3)
    tracks = list(ts)
    assert [t.name.split("#")[1] for t in tracks] == ["1", "2", "5"]
    np.testing.assert_allclose(tracks[0].boxes, [[1.5, 2.0, 10.0, 20.0]])
    assert tracks[0].frames == [str(tmp_path / "train2017" / "000000000009.jpg")]
    assert tracks[2].frames[0].endswith("000000000030.jpg")
    assert ts.read_image(tracks[2].frames[0]).shape == (48, 64, 3)


def test_coco_bad_inputs_name_the_path(tmp_path):
    with pytest.raises(HromError, match=str(tmp_path / "nope")):
        read_coco(tmp_path / "nope")
    tmp_path.joinpath("annotations").mkdir()
    with pytest.raises(HromError, match="instances_train2017.json"):
        read_coco(tmp_path)
    (tmp_path / "annotations" / "instances_train2017.json").write_text("{not json")
    (tmp_path / "train2017").mkdir()
    with pytest.raises(HromError, match="not valid JSON"):
        read_coco(tmp_path)


def test_missing_frame_raises_with_path(tmp_path):
    _coco(tmp_path)
    ts = read_coco(tmp_path)
    (tmp_path / "train2017" / "000000000030.jpg").unlink()  # gone after indexing: found when read
    with pytest.raises(HromError, match="000000000030.jpg: training frame missing"):
        ts.read_image(ts.frame_path(2, 0))
    with pytest.raises(HromError, match=r"instances_train2017.json: image 000000000030.jpg \(id 30\) not found"):
        read_coco(tmp_path)  # missing when indexed: found at once
    assert len(read_coco(tmp_path, skip_bad=True)) == 2


# -- ImageNet VID / DET ------------------------------------------------------------------
def test_imagenet_vid_reader(tmp_path):
    snip = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    for f in range(4):
        _jpg(tmp_path / "Data/VID/train" / snip / f"{f:06d}.JPEG")
    objs = {
        0: [(0, 10, 10, 30, 40), (1, 1, 2, 5, 9)],
        1: [(0, 12, 10, 32, 40)],  # track 1 not annotated in frame 1
        2: [(0, 14, 10, 34, 40), (1, 2, 2, 6, 9)],
        3: [(1, 3, 2, 3, 9)],  # zero width: skipped
    }
    for f, o in objs.items():
        _voc(tmp_path / "Annotations/VID/train" / snip / f"{f:06d}.xml", f"{f:06d}", o)
    _voc(tmp_path / "Annotations/VID/train/ILSVRC2015_VID_train_0000/empty/000000.xml", "000000", [])
    ts = read_imagenet_vid(tmp_path)
    assert (ts.num_videos, len(ts)) == (1, 2)
    t0, t1 = ts[0], ts[1]
    assert t0.frame_ids.tolist() == [0, 1, 2] and t1.frame_ids.tolist() == [0, 2]
    np.testing.assert_allclose(t0.boxes[1], [12, 10, 20, 30])
    np.testing.assert_allclose(t1.boxes[1], [2, 2, 4, 7])
    assert t0.frames[2] == str(tmp_path / "Data/VID/train" / snip / "000002.JPEG")
    with pytest.raises(HromError, match="Annotations/VID/val"):
        read_imagenet_vid(tmp_path, split="val")


def test_imagenet_det_reader(tmp_path):
    a = tmp_path / "Annotations/DET/train"
    _voc(a / "ILSVRC2013_train/n01443537/n01443537_1.xml", "n01443537_1", [(None, 1, 2, 11, 22), (None, 5, 5, 9, 9)])
    _voc(a / "ILSVRC2014_train_0000/ILSVRC2014_train_00000001.xml", "ILSVRC2014_train_00000001", [])  # no object
    _voc(a / "ILSVRC2014_train_0000/ILSVRC2014_train_00000002.xml", "ILSVRC2014_train_00000002", [(None, 0, 0, 30, 20)])
    (tmp_path / "Data/DET/train").mkdir(parents=True)
    ts = read_imagenet_det(tmp_path)
    assert (ts.num_videos, len(ts)) == (2, 3)
    np.testing.assert_allclose(ts[0].boxes, [[1, 2, 10, 20]])
    assert ts[0].frames[0] == str(tmp_path / "Data/DET/train/ILSVRC2013_train/n01443537/n01443537_1.JPEG")
    assert ts[2].frames[0].endswith("ILSVRC2014_train_0000/ILSVRC2014_train_00000002.JPEG")
    with pytest.raises(HromError, match="Data/DET/train"):
        (tmp_path / "Data/DET/train").rmdir()
        read_imagenet_det(tmp_path)


# -- GOT-10k -----------------------------------------------------------------------------
def _got(root, with_cover=True):
    seq = root / "train" / "GOT-10k_Train_000001"
    for f in range(5):
        _jpg(seq / f"{f + 1:08d}.jpg")
    (seq / "groundtruth.txt").write_text("1,2,10,20\nNaN,NaN,NaN,NaN\n3,4,10,20\n5,6,10,20\n7,8,0,20\n")
    (seq / "absence.label").write_text("0\n1\n0\n0\n0\n")
    if with_cover:
        (seq / "cover.label").write_text("8\n0\n0\n5\n8\n")  # frame 3 fully covered
    (seq / "meta_info.ini").write_text("[METAINFO]\n")
    (root / "train" / "list.txt").write_text("GOT-10k_Train_000001\n")


def test_got10k_reader_skips_absent_covered_and_empty(tmp_path):
    _got(tmp_path)
    for root in (tmp_path, tmp_path / "train"):  # dataset root or the split folder
        t = read_got10k(root)[0]
        assert t.frame_ids.tolist() == [1, 4]
        np.testing.assert_allclose(t.boxes, [[1, 2, 10, 20], [5, 6, 10, 20]])
        assert t.frames[1] == str(tmp_path / "train/GOT-10k_Train_000001/00000004.jpg")


def test_got10k_bad_inputs(tmp_path):
    with pytest.raises(HromError, match="list.txt"):
        read_got10k(tmp_path)
    _got(tmp_path, with_cover=False)
    assert read_got10k(tmp_path)[0].frame_ids.tolist() == [1, 3, 4]
    seq = tmp_path / "train" / "GOT-10k_Train_000001"
    (seq / "absence.label").write_text("0\n0\n")
    with pytest.raises(HromError, match="absence.label: 2 values"):
        read_got10k(tmp_path)
    (seq / "groundtruth.txt").unlink()
    with pytest.raises(HromError, match="GOT-10k_Train_000001/groundtruth.txt"):
        read_got10k(tmp_path)


def test_synthetic_got10k_layout_roundtrip(tmp_path):
    spec = SyntheticSpec(num_sequences=2, num_frames=6)
    write_got10k_layout(tmp_path, spec, absent_every=3)
    ts = read_got10k(tmp_path)
    assert len(ts) == 2 and ts[0].frame_ids.tolist() == [1, 2, 4, 5]
    np.testing.assert_allclose(ts[1].boxes, sequence_boxes(spec, 1)[[0, 1, 3, 4]], atol=1e-4)


# -- LaSOT -------------------------------------------------------------------------------
def test_lasot_reader_excludes_test_split_and_hidden_frames(tmp_path):
    for name in ("airplane-1", "airplane-2", "bear-3"):
        seq = tmp_path / name.split("-")[0] / name
        for f in range(4):
            _jpg(seq / "img" / f"{f + 1:08d}.jpg")
        (seq / "groundtruth.txt").write_text("1,1,5,5\n2,2,5,5\n3,3,5,5\n4,4,5,5\n")
        (seq / "full_occlusion.txt").write_text("0,0,1,0\n")
        (seq / "out_of_view.txt").write_text("0,1,0,0\n")
        (seq / "nlp.txt").write_text("a thing\n")
    with pytest.raises(HromError, match="testing_set.txt"):
        read_lasot(tmp_path)
    (tmp_path / "testing_set.txt").write_text("airplane-2\n")
    ts = read_lasot(tmp_path)
    assert len(ts) == 2
    assert [t.frames[0] for t in ts] == [
        str(tmp_path / "airplane/airplane-1/img/00000001.jpg"),
        str(tmp_path / "bear/bear-3/img/00000001.jpg"),
    ]
    assert ts[0].frame_ids.tolist() == [1, 4]


# -- pysot crop511 -----------------------------------------------------------------------
def test_pysot_crops_reader_maps_boxes_into_the_crop(tmp_path):
    video = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    meta = {video: {"00": {"000000": [10, 20, 110, 70], "000002": [12, 20, 112, 70], "000003": [5, 5, 5, 30]},
                    "01": {"000001": [0, 0, 40, 40]}}}
    (tmp_path / "train.json").write_text(json.dumps(meta))
    for name in ("000000.00.x.jpg", "000002.00.x.jpg", "000001.01.x.jpg"):
        _jpg(tmp_path / "crop511" / video / name, 511, 511)
    ts = read_pysot_crops(tmp_path)
    assert len(ts) == 2 and ts[0].frame_ids.tolist() == [0, 2]
    # w=100, h=50: context p=75, s_z=sqrt(175*125), k=127/s_z; centred on pixel 255
    k = 127 / math.sqrt(175 * 125)
    np.testing.assert_allclose(ts[0].boxes[0], [255.5 - 50 * k, 255.5 - 25 * k, 100 * k, 50 * k], rtol=1e-5)
    np.testing.assert_allclose(box_in_crop(40, 40), [255.5 - 20 * 127 / 80, 255.5 - 20 * 127 / 80, 63.5, 63.5])
    assert ts[1].frames[0] == str(tmp_path / "crop511" / video / "000001.01.x.jpg")
    assert ts.read_image(ts[0].frames[1]).shape == (511, 511, 3)
    _jpg(tmp_path / "crop511" / video / "000002.00.x.jpg", 300, 300)
    with pytest.raises(HromError, match="expected 511x511"):
        ts.read_image(ts[0].frames[1])
    (tmp_path / "train.json").unlink()
    with pytest.raises(HromError, match="train.json"):
        read_pysot_crops(tmp_path)


def test_include_and_exclude_apply_to_every_real_source_type(tmp_path):
    """A held-out split given as ``exclude`` must leave the training index of every format (it
    used to be ignored silently by the VID / DET / GOT-10k / LaSOT / pysot readers)."""
    from hrom.data.config import SOURCE_TYPES
    from hrom.data.sources import READERS

    assert set(READERS) == set(SOURCE_TYPES)
    got = tmp_path / "got"
    write_got10k_layout(got, SyntheticSpec(num_sequences=3, num_frames=4))
    names = (got / "train" / "list.txt").read_text().split()
    lasot = tmp_path / "lasot"
    for name in ("cat-1", "cat-2"):
        _jpg(lasot / "cat" / name / "img" / "00000001.jpg")
        (lasot / "cat" / name / "groundtruth.txt").write_text("1,1,5,5\n")
    (lasot / "testing_set.txt").write_text("none\n")
    vid = tmp_path / "vid"
    for snip in ("snip_a", "snip_b"):
        _voc(vid / "Annotations/VID/train/batch" / snip / "000000.xml", "000000", [(0, 1, 1, 9, 9)])
    (vid / "Data/VID/train").mkdir(parents=True)
    det = tmp_path / "det"
    for stem in ("n1_1", "n1_2"):
        _voc(det / "Annotations/DET/train/n1" / f"{stem}.xml", stem, [(None, 1, 1, 9, 9)])
    (det / "Data/DET/train").mkdir(parents=True)
    crops = tmp_path / "crops"
    (crops / "crop511").mkdir(parents=True)
    (crops / "train.json").write_text(json.dumps({f"src/{v}": {"0": {"000000": [1, 1, 9, 9]}} for v in ("vid_u", "vid_w")}))
    cases = {"got10k": (got, names[1], 3), "lasot": (lasot, "cat-2", 2), "vid": (vid, "snip_b", 2), "det": (det, "n1_2", 2),
             "pysot": (crops, "vid_w", 2)}
    for kind, (root, held_out, total) in cases.items():
        full = load_source(SourceConfig(type=kind, root=str(root)))
        kept = load_source(SourceConfig(type=kind, root=str(root), exclude=[held_out]))
        only = load_source(SourceConfig(type=kind, root=str(root), include=[held_out]))
        assert (len(full), len(kept), len(only)) == (total, total - 1, 1), kind
        assert not any(held_out in t.frames[0] for t in kept) and held_out in only[0].frames[0], kind
    with pytest.raises(HromError, match="include / exclude leave no sequence"):
        load_source(SourceConfig(type="got10k", root=str(got), include=["nope"]))


def test_source_options_a_type_cannot_honour_are_refused(tmp_path):
    with pytest.raises(HromError, match=r"data.sources\[0\].skip_bad: not supported by got10k sources"):
        DataConfig(sources=[SourceConfig(type="got10k", root=str(tmp_path), skip_bad=True)]).validate()
    with pytest.raises(HromError, match=r"data.sources\[0\]: include / exclude name real sequences"):
        DataConfig(sources=[SourceConfig(type="synthetic", exclude=["x"])]).validate()
    DataConfig(sources=[SourceConfig(type="voc", root=str(tmp_path), skip_bad=True)]).validate()


def test_index_cache_roundtrip(tmp_path):
    _got(tmp_path / "got")
    cfg = SourceConfig(type="got10k", root=str(tmp_path / "got"), name="g")
    first = load_source(cfg, tmp_path / "cache")
    files = list((tmp_path / "cache").glob("index-g-*.npz"))
    assert len(files) == 1
    again = load_source(cfg, tmp_path / "cache")
    assert isinstance(again, TrackSet) and again is not first
    assert again[0].frames == first[0].frames
    np.testing.assert_array_equal(again.boxes, first.boxes)


def test_bad_box_line_names_file_and_line(tmp_path):
    _got(tmp_path)
    (tmp_path / "train/GOT-10k_Train_000001/groundtruth.txt").write_text("1,2,3,4\n1,2,x,4\n3,3,3,3\n4,4,4,4\n5,5,5,5\n")
    with pytest.raises(HromError, match="groundtruth.txt line 2"):
        read_got10k(tmp_path)


# -- the real data in ../shared ----------------------------------------------------------
def test_real_coco128(shared_dir):
    root = shared_dir / "data/train/coco128"
    ts = read_coco(root)
    data = json.loads((root / "annotations/instances_train2017.json").read_text())
    usable = [a for a in data["annotations"] if not a["iscrowd"] and a["bbox"][2] > 0 and a["bbox"][3] > 0]
    assert len(ts) == len(usable) == 929
    assert ts.num_videos == len({a["image_id"] for a in usable})
    t = ts[0]
    img = ts.read_image(t.frames[0])
    x, y, w, h = t.boxes[0]
    assert 0 <= x and x + w <= img.shape[1] + 1 and y + h <= img.shape[0] + 1


def test_real_got10k_uav(shared_dir):
    root = shared_dir / "data/train/got10k_uav"
    ts = read_got10k(root)
    assert len(ts) == 6
    for i, name in enumerate((root / "train/list.txt").read_text().split()):
        seq = root / "train" / name
        gt = np.loadtxt(seq / "groundtruth.txt", delimiter=",", ndmin=2)
        absent = np.loadtxt(seq / "absence.label", ndmin=1).astype(bool)
        keep = ~absent & np.isfinite(gt).all(1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)
        np.testing.assert_allclose(ts[i].boxes, gt[keep], rtol=1e-6)
        assert ts[i].frame_ids.tolist() == (np.flatnonzero(keep) + 1).tolist()
    path = ts.frame_path(3, 0)
    assert path.endswith("GOT-10k_Train_000004/00000001.jpg") and ts.read_image(path).shape == (360, 640, 3)


def test_real_sources_make_valid_pairs(shared_dir):
    cfg = DataConfig(
        sources=[
            SourceConfig(type="got10k", root=str(shared_dir / "data/train/got10k_uav")),
            SourceConfig(type="coco", root=str(shared_dir / "data/train/coco128"), frame_range=1),
        ],
        samples_per_epoch=12,
    )
    ds = TrackingPairDataset(cfg)
    for i in range(12):
        item = ds[i]
        assert item["search"].shape == (3, 255, 255) and 0 <= item["search"].min() and item["search"].max() <= 255
        x1, y1, x2, y2 = item["bbox"].tolist()
        assert 0 < x2 - x1 and 0 < y2 - y1
        assert (item["label_cls"] == 1).sum() <= 16
