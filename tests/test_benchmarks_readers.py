"""Benchmark readers on fixtures in the real layouts and on the real sequences in ../shared."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.benchmarks import keep_threads, moving_boxes, write_boxes, write_frames  # noqa: F401 (fixture)

from hrom.benchmarks import open_benchmark
from hrom.cli.main import main
from hrom.errors import HromError


def make_otb(root):
    write_frames(root / "Crossing" / "img", 6)
    write_boxes(root / "Crossing" / "groundtruth_rect.txt", moving_boxes(6), sep="\t")
    write_frames(root / "Jogging" / "img", 5)
    write_boxes(root / "Jogging" / "groundtruth_rect.1.txt", moving_boxes(5), sep=",")
    write_boxes(root / "Jogging" / "groundtruth_rect.2.txt", moving_boxes(5, x0=30), sep=" ")
    write_frames(root / "Human4" / "img", 4)
    (root / "Human4" / "groundtruth_rect.1.txt").write_text("\n")
    write_boxes(root / "Human4" / "groundtruth_rect.2.txt", moving_boxes(4))
    write_frames(root / "Football1" / "img", 81)
    write_boxes(root / "Football1" / "groundtruth_rect.txt", moving_boxes(74))
    (root / "OTB100.json").write_text(json.dumps({"Crossing": {"attr": ["Scale Variation", "Fast Motion"]}}))


def test_otb_layout_quirks(tmp_path):
    make_otb(tmp_path)
    reader = open_benchmark("otb100", tmp_path, partial=True)
    assert reader.names() == ["Crossing", "Football1", "Human4", "Jogging-1", "Jogging-2"]
    cross = reader.load("Crossing")
    assert cross.boxes.shape == (6, 4) and cross.boxes[5].tolist() == [15, 10.5, 12, 10]
    assert cross.attributes == ("SV", "FM")
    assert reader.load("Jogging-2").boxes[0, 0] == 30
    assert len(reader.load("Human4")) == 4
    foot = reader.load("Football1")  # 81 images, 74 boxes: the official range 1-74
    assert len(foot) == 74 and foot.frames[-1].name == "0074.jpg"
    with pytest.raises(HromError, match="sequence Basketball"):  # strict mode names a missing folder
        open_benchmark("otb100", tmp_path)


def test_otb_count_mismatch_and_missing_frame(tmp_path):
    make_otb(tmp_path)
    (tmp_path / "Crossing" / "img" / "0003.jpg").unlink()
    reader = open_benchmark("otb100", tmp_path, partial=True)
    with pytest.raises(HromError, match=r"Crossing: .*groundtruth_rect.txt has 6 boxes but .* 5 frames"):
        reader.load("Crossing")


def make_uav10(root):
    write_frames(root / "data_seq" / "UAV123_10fps" / "truck4", 421, pattern="{:06d}.jpg", size=(16, 16))
    b1 = moving_boxes(193)
    b1[5] = np.nan
    write_boxes(root / "anno" / "UAV123_10fps" / "truck4_1.txt", b1)
    write_boxes(root / "anno" / "UAV123_10fps" / "truck4_2.txt", moving_boxes(229))
    (root / "anno" / "UAV123_10fps" / "att").mkdir()
    (root / "anno" / "UAV123_10fps" / "att" / "truck4_1.txt").write_text("1,0,0,0,1,0,0,0,0,0,0,1\n")


def test_uav123_10fps_subranges_nan_and_attributes(tmp_path):
    make_uav10(tmp_path)
    reader = open_benchmark("uav123_10fps", tmp_path, partial=True)
    assert reader.names() == ["truck4_1", "truck4_2"]
    s1, s2 = reader.load("truck4_1"), reader.load("truck4_2")
    assert s1.frames[0].name == "000001.jpg" and s1.frames[-1].name == "000193.jpg"
    assert s2.frames[0].name == "000193.jpg" and s2.frames[-1].name == "000421.jpg"
    assert np.isnan(s1.boxes[5]).all() and s1.absent[5] and not s1.absent[4]
    assert s1.attributes == ("SV", "FOC", "SOB") and s2.attributes == ()
    empty = tmp_path / "u30"
    (empty / "anno" / "UAV123").mkdir(parents=True)
    with pytest.raises(HromError, match="none of the 123 sequences"):
        open_benchmark("uav123", empty, partial=True)


def test_uav123_30fps_range_mismatch(tmp_path):
    root = tmp_path / "u"
    write_frames(root / "data_seq" / "UAV123" / "truck4", 10, pattern="{:06d}.jpg", size=(8, 8))
    write_boxes(root / "anno" / "UAV123" / "truck4_1.txt", moving_boxes(10))
    reader = open_benchmark("uav123", root, partial=True)
    with pytest.raises(HromError, match="official range 1-577"):
        reader.load("truck4_1")


def test_lasot_layout(tmp_path):
    d = tmp_path / "airplane" / "airplane-1"
    write_frames(d / "img", 5, pattern="{:08d}.jpg")
    write_boxes(d / "groundtruth.txt", moving_boxes(5))
    (d / "full_occlusion.txt").write_text("0,0,1,0,0\n")
    (d / "out_of_view.txt").write_text("0,0,0,1,0\n")
    reader = open_benchmark("lasot", tmp_path, partial=True)
    assert reader.names() == ["airplane-1"]
    s = reader.load("airplane-1")
    assert s.absent.tolist() == [False, False, True, True, False]
    assert open_benchmark("lasot_full", tmp_path).names() == ["airplane-1"]
    with pytest.raises(HromError, match="airplane-13 .*missing"):
        open_benchmark("lasot", tmp_path)


VOT_POLY = [10, 10, 30, 12, 28, 32, 8, 30]


def make_vot_workspace(ws, n=12, tags=True):
    d = ws / "sequences" / "ball"
    write_frames(d / "color", n, pattern="{:08d}.jpg")
    (ws / "sequences" / "list.txt").write_text("ball\n")
    (d / "sequence").write_text("channels.color=color/%08d.jpg\nformat=default\nfps=30\nname=ball\n")
    polys = np.array([np.array(VOT_POLY, float) + [i, 0] * 4 for i in range(n)])
    (d / "groundtruth.txt").write_text("\n".join(",".join(f"{v:.2f}" for v in p) for p in polys) + "\n")
    if tags:
        (d / "occlusion.tag").write_text("0\n0\n1\n1\n")  # shorter than the sequence: padded with 0
        (d / "camera_motion.tag").write_text("\n".join("1" for _ in range(n)) + "\n")
    return polys


def test_vot_workspace(tmp_path):
    polys = make_vot_workspace(tmp_path)
    for root in (tmp_path, tmp_path / "sequences"):
        reader = open_benchmark("vot2018", root)
        s = reader.load("ball")
        assert reader.protocol == "vot" and len(s) == 12
        np.testing.assert_allclose(s.polygons, polys)
        np.testing.assert_allclose(s.boxes[0], [8, 10, 22, 22])  # axis-aligned hull
        assert s.tags["occlusion"].tolist()[:5] == [False, False, True, True, False]
        assert s.tags["camera_motion"].all()
        init = s.init_box(0)  # pysot's VOT box: area-preserving, centre x + (w - 1) / 2 on the polygon's
        np.testing.assert_allclose(init[:2] + (init[2:] - 1) / 2, [19, 21])


def test_vot_missing_frame_and_bad_region(tmp_path):
    make_vot_workspace(tmp_path)
    (tmp_path / "sequences" / "ball" / "color" / "00000007.jpg").unlink()
    with pytest.raises(HromError, match=r"ball: frame .*00000007.jpg missing"):
        open_benchmark("vot2018", tmp_path).load("ball")
    (tmp_path / "sequences" / "ball" / "groundtruth.txt").write_text("1,2,3\n")
    with pytest.raises(HromError, match="groundtruth.txt:1: 3 values"):
        open_benchmark("vot2018", tmp_path).load("ball")


def test_vot_pysot_json_layout(tmp_path):
    write_frames(tmp_path / "ball" / "color", 4, pattern="{:08d}.jpg")
    polys = [list(np.array(VOT_POLY, float) + i) for i in range(4)]
    (tmp_path / "VOT2018.json").write_text(json.dumps({"ball": {
        "video_dir": "ball", "img_names": [f"ball/color/{i:08d}.jpg" for i in range(1, 5)], "gt_rect": polys,
        "occlusion": [0, 1, 1, 0], "camera_motion": [0, 0, 0, 0]}}))
    s = open_benchmark("vot2018", tmp_path).load("ball")
    assert len(s) == 4 and s.tags["occlusion"].tolist() == [False, True, True, False]
    np.testing.assert_allclose(s.polygons[3], polys[3])


def make_got10k(root, split="val", n_seqs=2, n=6):
    names = [f"GOT-10k_{split.capitalize()}_{i:06d}" for i in range(1, n_seqs + 1)]
    (root / split).mkdir(parents=True)
    (root / split / "list.txt").write_text("\n".join(names) + "\n")
    gts = []
    for k, name in enumerate(names):
        d = root / split / name
        write_frames(d, n, pattern="{:08d}.jpg")
        gt = moving_boxes(n, x0=5 + k)
        gts.append(gt)
        write_boxes(d / "groundtruth.txt", gt[:1] if split == "test" else gt)
        (d / "meta_info.ini").write_text("[METAINFO]\nurl: x\nresolution: (64, 48)\nobject_class: ball\n")
        (d / "absence.label").write_text("\n".join(["0"] * (n - 1) + ["1"]) + "\n")
        (d / "cover.label").write_text("\n".join(["8"] * (n - 2) + ["3", "0"]) + "\n")
        (d / "cut_by_image.label").write_text("\n".join(["0"] * n) + "\n")
    return names, gts


def test_got10k_val_and_test(tmp_path):
    names, gts = make_got10k(tmp_path, "val")
    r = open_benchmark("got10k_val", tmp_path)
    s = r.load(names[0])
    assert r.names() == names and s.meta["resolution"] == (64, 48)
    assert s.tags["cover"].tolist() == [8, 8, 8, 8, 3, 0] and s.absent.tolist()[-1]
    make_got10k(tmp_path, "test")
    t = open_benchmark("got10k_test", tmp_path)
    ts = t.load(t.names()[0])
    assert t.protocol == "got10k" and ts.boxes.shape == (6, 4) and np.isnan(ts.boxes[1:]).all()
    assert open_benchmark("got10k_val", tmp_path / "val").names() == names  # root = split folder


def test_pysot_json_benchmark(tmp_path):
    write_frames(tmp_path / "Seq" / "img", 3)
    (tmp_path / "MY.json").write_text(json.dumps({"Seq": {"img_names": [f"Seq/img/{i:04d}.jpg" for i in (1, 2, 3)],
                                                         "gt_rect": [[1, 2, 3, 4], [1, 2, 3, 4], []],
                                                         "attr": ["IV"]}}))
    s = open_benchmark(f"pysot:{tmp_path / 'MY.json'}", tmp_path).load("Seq")
    assert s.attributes == ("IV",) and np.isnan(s.boxes[2]).all() and s.boxes[1].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("argv,needle", [
    (["--benchmark", "otb100", "--root", "{tmp}/nowhere"], "dataset root not found"),
    (["--benchmark", "nosuch", "--root", "{tmp}"], "unknown benchmark"),
    (["--benchmark", "vot2018", "--root", "{tmp}"], "no sequences/list.txt or VOT2018.json"),
    (["--benchmark", "got10k_val", "--root", "{tmp}"], "list.txt not found"),
    (["--benchmark", "uav123", "--root", "{tmp}"], "anno/UAV123 not found"),
])
def test_bad_roots_exit_2_with_one_line(tmp_path, capsys, argv, needle):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = main(["eval", "run", *argv, "--tracker", "kcf", "--results", str(tmp_path / "res"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_shared_otb(shared_dir):
    reader = open_benchmark("otb100", shared_dir / "data" / "otb", partial=True)
    assert reader.names() == ["Bird2", "Couple", "Crossing", "Dog", "Football1", "Girl", "Vase"]
    lengths = {n: len(reader.load(n)) for n in reader.names()}
    assert lengths == {"Bird2": 99, "Couple": 140, "Crossing": 120, "Dog": 127, "Football1": 74, "Girl": 500, "Vase": 271}
    assert reader.load("Crossing").boxes[0].tolist() == [205, 151, 17, 50]  # tab-separated file


def test_shared_vot_and_uav(shared_dir):
    vot = open_benchmark("vot2018", shared_dir / "data" / "vot")
    bag = vot.load("bag")
    assert vot.names() == ["bag"] and bag.polygons.shape == (len(bag), 8) and len(bag) == 196
    uav = open_benchmark("uav123_10fps", shared_dir / "data" / "uav123_10fps", partial=True)
    b5 = uav.load("building5")
    assert uav.names() == ["building5"] and len(b5) == 161 and b5.boxes[0].tolist() == [530, 525, 22, 62]


def test_otb_several_annotation_files_follow_got10k(tmp_path):
    """groundtruth_rect.txt next to .1/.2 (some OTB copies of Jogging / Skating2): one target per
    non-empty file, numbered in file-name order as the GOT-10k toolkit does (it names them
    Jogging.1/.2/.3; hrom keeps pysot's dash), never 'Jogging-None'."""
    got10k = pytest.importorskip("got10k.datasets", reason="needs the got10k toolkit")
    make_otb(tmp_path)
    write_boxes(tmp_path / "Jogging" / "groundtruth_rect.txt", moving_boxes(5, x0=50))
    write_frames(tmp_path / "Skating2" / "img", 3)
    write_boxes(tmp_path / "Skating2" / "groundtruth_rect.txt", moving_boxes(3, x0=1))
    write_boxes(tmp_path / "Skating2" / "groundtruth_rect.1.txt", moving_boxes(3, x0=2))
    reader = open_benchmark("otb100", tmp_path, partial=True)
    ours = {n: reader.load(n) for n in reader.names()}
    assert not [n for n in ours if "None" in n]
    theirs = got10k.OTB(str(tmp_path), 2015, download=False)
    names = {n.replace(".", "-") for n in theirs.seq_names}
    assert names == set(ours) and {"Jogging-3", "Skating2-1", "Skating2-2", "Human4"} <= names
    for i, n in enumerate(theirs.seq_names):
        frames, anno = theirs[i]
        s = ours[n.replace(".", "-")]
        assert [str(f) for f in s.frames] == frames
        np.testing.assert_allclose(s.boxes, anno)
    assert ours["Jogging-3"].boxes[0, 0] == 50 and ours["Jogging-2"].boxes[0, 0] == 30  # plain file is the 3rd


def test_pysot_json_absent_means_visible(tmp_path):
    write_frames(tmp_path / "airplane-1" / "img", 3, pattern="{:08d}.jpg")
    (tmp_path / "LaSOT.json").write_text(json.dumps({"airplane-1": {
        "img_names": [f"airplane-1/img/{i:08d}.jpg" for i in (1, 2, 3)], "gt_rect": [[1, 2, 3, 4], [0, 0, 0, 0], [1, 2, 3, 4]],
        "attr": [], "absent": [1, 0, 1]}}))
    s = open_benchmark("lasot", tmp_path, partial=True).load("airplane-1")
    assert s.absent.tolist() == [False, True, False]  # pysot scores the frames with absent == 1


@pytest.mark.parametrize("layout", ["vot_list", "vot_json", "pysot_json", "got10k_list"])
def test_sequence_names_cannot_leave_the_results_folder(tmp_path, capsys, layout):
    """A sequence name from a dataset file becomes <results>/.../<name>.txt: '..' is refused with
    one line (exit 2) before anything is written."""
    evil = "../../../../" + str(tmp_path / "x").lstrip("/")
    root, bench = tmp_path / "data", "vot2018"
    if layout == "vot_list":
        make_vot_workspace(root)
        (root / "sequences" / "list.txt").write_text(f"ball\n{evil}\n")
    elif layout == "vot_json":
        write_frames(root / "ball" / "color", 4, pattern="{:08d}.jpg")
        entry = {"img_names": [f"ball/color/{i:08d}.jpg" for i in range(1, 5)], "gt_rect": [VOT_POLY] * 4}
        (root / "VOT2018.json").write_text(json.dumps({"ball": entry, evil: entry}))
    elif layout == "pysot_json":
        write_frames(root / "Seq" / "img", 3)
        entry = {"img_names": [f"Seq/img/{i:04d}.jpg" for i in (1, 2, 3)], "gt_rect": [[1, 2, 3, 4]] * 3}
        (root).mkdir(exist_ok=True)
        (root / "MY.json").write_text(json.dumps({"Seq": entry, evil: entry}))
        bench = f"pysot:{root / 'MY.json'}"
    else:
        names, _ = make_got10k(root)
        (root / "val" / "list.txt").write_text("\n".join(names + [evil]) + "\n")
        bench = "got10k_val"
    code = main(["eval", "run", "--benchmark", bench, "--root", str(root), "--tracker", "kcf",
                 "--results", str(tmp_path / "res" / "a" / "b"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"sequence name {evil!r} contains a path separator" in err and err.count("\n") == 1, err
    assert "Traceback" not in err and not (tmp_path / "x.txt").exists() and not list(tmp_path.rglob("x.txt"))
