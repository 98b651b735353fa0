"""Training sources in the formats users hold their data in (fixtures in the real on-disk layouts),
and ``hrom data prepare`` / ``hrom data export`` on them."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from hrom.cli.main import main
from hrom.data import DataConfig, SourceConfig, TrackingPairDataset, load_source
from hrom.data.prepare import PrepareConfig, prepare
from hrom.data.sources import read_coco, read_masks, read_sequences, read_videos, read_voc, read_yolo
from hrom.data.sources._util import Selection
from hrom.data.sources.video import link_tracks
from hrom.errors import HromError


def _jpg(path, w=64, h=48, value=100):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def _voc_xml(path, filename, boxes, size=(64, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    objs = "".join(f"<object><name>a</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax>"
                   f"</bndbox></object>" for a, b, c, d in boxes)
    path.write_text(f"<annotation><filename>{filename}</filename><size><width>{size[0]}</width>"
                    f"<height>{size[1]}</height><depth>3</depth></size>{objs}</annotation>")


# -- PASCAL VOC --------------------------------------------------------------------------------
def _voc(root):
    base = root / "VOC2007"
    _jpg(base / "JPEGImages" / "000001.jpg")
    _jpg(base / "JPEGImages" / "000002.jpg")
    _voc_xml(base / "Annotations" / "000001.xml", "000001.jpg", [(10, 5, 30, 25), (0, 0, 64, 48)])
    _voc_xml(base / "Annotations" / "000002.xml", "000002.jpg", [(40, 20, 70, 40)])  # 24 of 30 px inside
    return root


def test_voc_reader_nested_layout_boxes_and_clipping(tmp_path):
    ts = read_voc(_voc(tmp_path))
    assert (ts.num_videos, len(ts), ts.num_frames) == (2, 3, 3)
    np.testing.assert_allclose(ts.frame_box(0, 0), [10, 5, 20, 20])
    np.testing.assert_allclose(ts.frame_box(2, 0), [40, 20, 24, 20])  # clipped at the right edge
    assert ts.frame_path(2, 0).endswith("VOC2007/JPEGImages/000002.jpg")


def test_voc_bad_entries_fail_or_are_counted(tmp_path):
    _voc(tmp_path)
    _voc_xml(tmp_path / "VOC2007" / "Annotations" / "000003.xml", "000003.jpg", [(1, 1, 5, 5)])  # no image
    with pytest.raises(HromError, match=r"000003.xml: image 000003.jpg not found .*skip_bad"):
        read_voc(tmp_path)
    ts = read_voc(tmp_path, skip_bad=True)
    assert len(ts) == 3 and "skipped 1 bad entries" in ts.skipped
    _voc_xml(tmp_path / "VOC2007" / "Annotations" / "000003.xml", "000002.jpg", [(60, 40, 90, 80)])
    _jpg(tmp_path / "VOC2007" / "JPEGImages" / "000003.jpg")
    with pytest.raises(HromError, match=r"000003.xml: object 1: box .* outside the 64x48 image"):
        read_voc(tmp_path)


# -- YOLO ------------------------------------------------------------------------------------
def test_yolo_reader_converts_normalised_boxes(tmp_path):
    _jpg(tmp_path / "images/train/a.jpg", w=200, h=100)
    _jpg(tmp_path / "images/train/background.jpg", w=200, h=100)  # no label file: skipped
    (tmp_path / "labels/train").mkdir(parents=True)
    (tmp_path / "labels/train/a.txt").write_text("0 0.5 0.5 0.2 0.4\n3 0.1 0.2 0.1 0.2\n")
    ts = read_yolo(tmp_path, "train")
    assert len(ts) == 2
    np.testing.assert_allclose(ts.frame_box(0, 0), [80, 30, 40, 40])
    np.testing.assert_allclose(ts.frame_box(1, 0), [10, 10, 20, 20])
    (tmp_path / "labels/train/a.txt").write_text("0 0.5 0.5 0.2\n")
    with pytest.raises(HromError, match=r"a.txt line 1: expected 'class cx cy w h'"):
        read_yolo(tmp_path, "train")
    (tmp_path / "labels/train/a.txt").write_text("")
    with pytest.raises(HromError, match=r"a.txt: empty label file"):
        read_yolo(tmp_path, "train")


# -- masks (DAVIS) ---------------------------------------------------------------------------
def test_mask_reader_box_is_mask_extent_and_empty_mask_is_absent(tmp_path):
    from PIL import Image

    seq = "bear"
    for f in range(3):
        _jpg(tmp_path / f"JPEGImages/480p/{seq}/{f:05d}.jpg", w=40, h=30)
        m = np.zeros((30, 40), np.uint8)
        if f != 1:  # frame 1: empty mask for object 1
            m[5:10, 3 + f:13 + f] = 1  # rows 5..9, cols 3+f..12+f
        m[20:22, 30:35] = 2
        (tmp_path / f"Annotations/480p/{seq}").mkdir(parents=True, exist_ok=True)
        im = Image.fromarray(m, mode="P")
        im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
        im.save(tmp_path / f"Annotations/480p/{seq}/{f:05d}.png")
    ts = read_masks(tmp_path)
    assert len(ts) == 2
    assert ts.track_frame_ids(0).tolist() == [0, 2]  # absent in frame 1
    np.testing.assert_allclose(ts.frame_box(0, 1), [5, 5, 10, 5])
    np.testing.assert_allclose(ts.frame_box(1, 0), [30, 20, 5, 2])
    assert ts.frame_path(0, 1).endswith(f"JPEGImages/480p/{seq}/00002.jpg")


# -- folders of sequences (OTB / UAV copies) ---------------------------------------------------
def test_sequence_folders_numbered_names_and_short_box_files(tmp_path):
    for i in range(300, 304):
        _jpg(tmp_path / f"otb/David/img/{i:04d}.jpg")
    (tmp_path / "otb/David/groundtruth_rect.txt").write_text("1,2,3,4\n5\t6\t7\t8\n9 10 11 12\n")  # 3 of 4 frames
    for i in range(1, 3):
        _jpg(tmp_path / f"Dog1/img{i:05d}.jpg")
    (tmp_path / "Dog1/groundtruth.txt").write_text("1,1,5,5\nNaN,NaN,NaN,NaN\n")
    ts = read_sequences(tmp_path)
    assert len(ts) == 2
    david = next(t for t in range(len(ts)) if "David" in ts.frame_path(t, 0))
    assert ts.track_frame_ids(david).tolist() == [300, 301, 302]
    assert ts.frame_path(david, 2).endswith("otb/David/img/0302.jpg")
    dog = 1 - david
    assert ts.track_length(dog) == 1 and ts.frame_path(dog, 0).endswith("Dog1/img00001.jpg")
    assert len(read_sequences(tmp_path, select=Selection(exclude=["David"]))) == 1
    assert len(read_sequences(tmp_path, select=Selection(include=["David"]))) == 1
    (tmp_path / "Dog1/groundtruth.txt").write_text("1,1,5,5\n1,1,5\n")
    with pytest.raises(HromError, match=r"Dog1/groundtruth.txt line 2: expected 4 numbers"):
        read_sequences(tmp_path)


# -- video + per-frame box file ----------------------------------------------------------------
def _video(path, n=12, w=96, h=64):
    """Frame i is a flat image of brightness 20 * i (so a decoded frame tells its index)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for i in range(n):
        vw.write(np.full((h, w, 3), 20 * i, np.uint8))
    vw.release()


def test_video_source_csv_boxes_and_frame_decoding(tmp_path):
    _video(tmp_path / "Data/clip_a.avi")
    (tmp_path / "labels").mkdir()
    rows = "".join(f"{i},DRONE,{10 + i},{5},{20},{10}\n" for i in range(0, 12, 2))
    (tmp_path / "labels/clip_a_LABELS.csv").write_text("frame,label,x,y,width,height\n" + rows)
    ts = read_videos(tmp_path / "Data", tmp_path / "labels")
    assert len(ts) == 1 and ts.track_frame_ids(0).tolist() == [0, 2, 4, 6, 8, 10]
    np.testing.assert_allclose(ts.frame_box(0, 3), [16, 5, 20, 10])
    for j in (3, 1, 5, 0):  # backwards and forwards: seek or step, always the right frame
        img = ts.read_image(ts.frame_path(0, j))
        assert abs(float(img.mean()) - 20 * ts.track_frame_ids(0)[j]) < 6
    (tmp_path / "labels/clip_a_LABELS.csv").write_text("frame,label,x,y,width,height\n3,D,90,60,20,10\n")
    with pytest.raises(HromError, match=r"clip_a_LABELS.csv: frame 3: box .* outside the 96x64 video"):
        read_videos(tmp_path / "Data", tmp_path / "labels")
    (tmp_path / "Data/clip_a.avi").write_bytes(b"not a video")
    with pytest.raises(HromError, match=r"clip_a.avi: unreadable video"):
        read_videos(tmp_path / "Data", tmp_path / "labels")


def test_boxes_without_identity_are_linked_by_overlap():
    a = [(f, np.array([10.0 + f, 10, 20, 20])) for f in range(4)]
    b = [(f, np.array([100.0 - f, 50, 10, 10])) for f in range(4)]
    tracks = link_tracks(sorted(a + b, key=lambda r: (r[0], -r[1][0])))
    assert len(tracks) == 2
    assert sorted(len(t) for t in tracks) == [4, 4]
    assert all(abs(t[-1][1][0] - t[0][1][0]) <= 3 for t in tracks)  # each stays with its object


# -- COCO json with track ids (CVAT / MOT style) ----------------------------------------------
def test_coco_track_ids_make_video_tracks_and_names_resolve(tmp_path):
    for i in range(3):
        _jpg(tmp_path / f"frames/{i:06d}.jpg", w=100, h=80)
    images = [{"id": i + 1, "file_name": f"frame_{i:06d}.png", "width": 100, "height": 80} for i in range(3)]
    anns = [{"id": 10 + i, "image_id": i + 1, "bbox": [5 + i, 5, 10, 10], "iscrowd": 0,
             "attributes": {"track_id": 7}} for i in range(3)]
    anns.append({"id": 20, "image_id": 2, "bbox": [50, 40, 8, 8], "iscrowd": 0, "attributes": {"track_id": 3}})
    (tmp_path / "ann.json").write_text(json.dumps({"images": images, "annotations": anns}))
    ts = read_coco(tmp_path, images=str(tmp_path / "frames"), anno=str(tmp_path / "ann.json"))
    assert ts.num_videos == 1 and len(ts) == 2
    long = int(np.argmax([ts.track_length(t) for t in range(2)]))
    assert ts.track_frame_ids(long).tolist() == [0, 1, 2]
    assert ts.frame_path(long, 2).endswith("frames/000002.jpg")
    np.testing.assert_allclose(ts.frame_box(long, 2), [7, 5, 10, 10])


def test_coco_roboflow_renamed_files_are_found(tmp_path):
    _jpg(tmp_path / "train2017/abc123_jpg.rf.ffff.jpg")
    (tmp_path / "annotations").mkdir()
    data = {"images": [{"id": 0, "file_name": "abc123_jpg.rf.0000.jpg", "width": 64, "height": 48}],
            "annotations": [{"id": 0, "image_id": 0, "bbox": [1, 2, 3, 4], "iscrowd": 0}]}
    (tmp_path / "annotations/instances_train2017.json").write_text(json.dumps(data))
    ts = read_coco(tmp_path)
    assert ts.frame_path(0, 0).endswith("abc123_jpg.rf.ffff.jpg")


# -- hrom data prepare / export ---------------------------------------------------------------
def _target_video(path, n=9, w=160, h=120):
    """A bright 20x10 box moving right 4 px per frame on a dark frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    boxes = []
    for i in range(n):
        img = np.full((h, w, 3), 30, np.uint8)
        x, y = 40 + 4 * i, 50
        img[y:y + 10, x:x + 20] = 230
        vw.write(img)
        boxes.append((x, y, 20, 10))
    vw.release()
    path.with_suffix(".txt").write_text("".join(",".join(map(str, b)) + "\n" for b in boxes))


def test_prepare_makes_pysot_crops_that_training_reads(tmp_path):
    _target_video(tmp_path / "videos/clip.avi")
    cfg = PrepareConfig(sources=[SourceConfig(type="video", name="clip", root=str(tmp_path / "videos"))],
                        frame_step=2, workers=0)
    [summary] = prepare(cfg, tmp_path / "cache", progress=False)
    assert (summary["videos"], summary["tracks"], summary["crops"]) == (1, 1, 5)  # frames 0, 2, 4, 6, 8
    anno = json.loads((tmp_path / "cache/clip/train.json").read_text())
    [(key, tracks)] = anno.items()
    assert sorted(tracks["00"]) == ["000000", "000002", "000004", "000006", "000008"]
    assert tracks["00"]["000004"] == [56.0, 50.0, 76.0, 60.0]
    crop = cv2.imread(str(tmp_path / f"cache/clip/crop511/{key}/000004.00.x.jpg"))
    assert crop.shape == (511, 511, 3)
    bright = np.argwhere(crop[..., 0] > 130)  # the target, scaled by 127 / s_z, sits in the middle
    assert abs(bright[:, 0].mean() - 255) < 2 and abs(bright[:, 1].mean() - 255) < 2
    ts = load_source(SourceConfig(type="pysot", root=str(tmp_path / "cache/clip")))
    assert ts.track_frame_ids(0).tolist() == [0, 2, 4, 6, 8]
    ds = TrackingPairDataset(DataConfig(sources=[SourceConfig(type="pysot", root=str(tmp_path / "cache/clip"),
                                                              frame_range=4)], samples_per_epoch=2, neg=0.0))
    assert ds[0]["search"].shape == (3, 255, 255)


def test_prepare_resumes_and_refuses_other_settings(tmp_path):
    _target_video(tmp_path / "videos/a.avi")
    _target_video(tmp_path / "videos/b.avi", n=5)
    src = SourceConfig(type="video", name="v", root=str(tmp_path / "videos"))
    out = tmp_path / "cache"
    prepare(PrepareConfig(sources=[src], workers=2), out, progress=False)
    full = (out / "v/train.json").read_text()
    journal = (out / "v/progress.jsonl").read_text().splitlines()
    assert len(journal) == 2
    # an interrupted run: one video committed, a torn line, no train.json
    (out / "v/progress.jsonl").write_text(journal[0] + "\n" + journal[1][:20])
    (out / "v/train.json").unlink()
    prepare(PrepareConfig(sources=[src], workers=0), out, progress=False)
    assert json.loads((out / "v/train.json").read_text()) == json.loads(full)
    with pytest.raises(HromError, match="prepared with other settings"):
        prepare(PrepareConfig(sources=[src], workers=0, frame_step=3), out, progress=False)


def test_cli_prepare_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    _voc(tmp_path / "voc")
    (tmp_path / "voc/VOC2007/JPEGImages/000002.jpg").unlink()
    rc = main(["data", "prepare", "--type", "voc", "--root", str(tmp_path / "voc"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "000002.xml: image 000002.jpg not found" in err
    assert not (tmp_path / "out").exists()
    rc = main(["data", "prepare", "--type", "voc", "--root", str(tmp_path / "voc"), "--out", str(tmp_path / "out"),
               "--skip-bad", "--workers", "0"])
    assert rc == 0 and "1 videos, 2 tracks, 2 crops" in capsys.readouterr().out


def test_cli_export_writes_sequences_the_got10k_reader_scores(tmp_path, capsys):
    _target_video(tmp_path / "videos/clip.avi", n=12)
    rc = main(["data", "export", "--type", "video", "--root", str(tmp_path / "videos"), "--name", "val",
               "--out", str(tmp_path / "val"), "--min-frames", "5", "--frame-step", "2"])
    assert rc == 0
    from hrom.benchmarks import open_benchmark

    bench = open_benchmark("got10k_val", str(tmp_path / "val"))
    [name] = bench.names()
    seq = bench.load(name)
    assert len(seq.frames) == 6
    np.testing.assert_allclose(seq.boxes[1], [48, 50, 20, 10])


def test_validation_curve_png(tmp_path):
    from hrom.training.curves import plot_eval_curve, read_eval_events

    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in [
        {"iter": 1, "loss": 1.0},
        {"event": "eval", "epoch": 1, "success_auc": 0.2},
        {"event": "eval", "epoch": 2, "success_auc": 0.3},
        {"event": "eval", "epoch": 2, "success_auc": 0.35},  # repeated after a resume: the latest counts
    ]) + "\n")
    assert [e["success_auc"] for e in read_eval_events(log)] == [0.2, 0.35]
    png = plot_eval_curve(log, tmp_path / "val_curve.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
