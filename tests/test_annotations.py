"""hrom.annotations: one number-line parser, one flag reader and one image-suffix list for
benchmarks, training sources and result files."""

from __future__ import annotations

import numpy as np
import pytest

from hrom.annotations import IMAGE_EXTS, fields, is_image, read_flags, read_number_table
from hrom.benchmarks.results import read_box_file
from hrom.data.sources._util import read_boxes
from hrom.data.sources.video import read_box_table
from hrom.errors import HromError

BOXES = "1,2,3,4\n5\t6\t7\t8\n\n9 10  11 12\nNaN,NaN,NaN,NaN\n13;14;15;16\n"


def test_separators():
    assert fields(" 1, 2\t3  4;5 ,\n6 ") == ["1", "2", "3", "4", "5", "6"]
    assert fields("  \n ") == []


def test_every_box_reader_reads_a_file_the_same_way(tmp_path):
    f = tmp_path / "groundtruth.txt"
    f.write_text(BOXES)
    expected = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [np.nan] * 4, [13, 14, 15, 16]])
    np.testing.assert_array_equal(read_number_table(f), expected)  # benchmark ground truth
    np.testing.assert_array_equal(read_box_file(f, 5), expected)  # result files
    np.testing.assert_array_equal(read_boxes(f), expected)  # training sources
    table = read_box_table(f)  # video + box file
    np.testing.assert_array_equal(np.array([b for _, b in table["0"]]), expected)


def test_number_table_errors_name_file_and_line(tmp_path):
    f = tmp_path / "gt.txt"
    f.write_text("1,2,3,4\n1,2,x,4\n")
    with pytest.raises(HromError, match=r"gt.txt:2: cannot read '1,2,x,4' as numbers; expected x,y,w,h"):
        read_number_table(f)
    f.write_text("1,2,3\n")
    with pytest.raises(HromError, match=r"gt.txt:1: 3 values per line; expected x,y,w,h \(4 or 8 values\)"):
        read_number_table(f, widths=(4, 8))
    f.write_text("1,2,3,4\n1,2,3,4,5,6,7,8\n")
    with pytest.raises(HromError, match=r"gt.txt:2: 8 values; expected 4 like the first line"):
        read_number_table(f, widths=(4, 8))
    f.write_text("\n \n")
    with pytest.raises(HromError, match="gt.txt: empty"):
        read_number_table(f)
    with pytest.raises(HromError, match="nope.txt: file not found"):
        read_number_table(tmp_path / "nope.txt")
    f.write_text("1,2,3,4\n1,2,3,4\n1,2,3,4\n")
    with pytest.raises(HromError, match="3 boxes for a sequence of 2 frames"):
        read_box_file(f, 2)


def test_training_box_files_keep_their_messages(tmp_path):
    f = tmp_path / "groundtruth.txt"
    f.write_text("1,1,5,5\n1,1,5\n")
    with pytest.raises(HromError, match=r"groundtruth.txt line 2: expected 4 numbers x,y,w,h, got '1,1,5'"):
        read_boxes(f)
    f.write_text("")
    assert read_boxes(f).shape == (0, 4)  # an empty box file is no rows (the reader decides)


def test_flags_padded_or_exact(tmp_path):
    f = tmp_path / "occlusion.tag"
    f.write_text("0\n1\n1\n")
    assert read_flags(f, 5).tolist() == [0, 1, 1, 0, 0]  # VOT tags leave out trailing zeros
    f.write_text("0,0,1,0,0\n")  # LaSOT: one comma-separated line
    assert read_flags(f, 5, exact=True).tolist() == [0, 0, 1, 0, 0]
    f.write_text("8\n8\n3\n")  # GOT-10k cover levels keep their value
    assert read_flags(f, 3, exact=True).tolist() == [8, 8, 3]
    with pytest.raises(HromError, match=r"occlusion.tag: 3 values for 2 frames; expected at most one per frame"):
        read_flags(f, 2)
    with pytest.raises(HromError, match=r"occlusion.tag: 3 values for 4 frames; expected one per frame"):
        read_flags(f, 4, exact=True)
    f.write_text("0\nyes\n")
    with pytest.raises(HromError, match="occlusion.tag: expected one number per frame"):
        read_flags(f, 2)


def test_one_image_suffix_list():
    from hrom.tracking import sources

    assert set(sources.IMAGE_EXTS) <= set(IMAGE_EXTS)  # `hrom track` folders, benchmarks and training agree
    assert IMAGE_EXTS[:4] == (".jpg", ".jpeg", ".png", ".bmp")  # the order a missing suffix is tried in
    assert is_image("0001.JPG") and is_image("a/b.webp") and not is_image("groundtruth.txt")
