"""A new benchmark is one class plus its reader: register a toy one and run, score and report it
through the same public functions (and CLI) as the shipped ones."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.benchmarks import keep_threads, write_frames  # noqa: F401 (fixture)

from hrom.benchmarks import BENCHMARKS, OPEBenchmark, Reader, Sequence, evaluate, register, run_benchmark, write_report
from hrom.cli.main import main
from hrom.errors import HromError

GT = np.array([[10.0, 8.0, 12.0, 10.0]] * 6)


class ToyReader(Reader):
    """Two folders of frames; the ground truth is a still box (NaN on one frame of ``b``)."""

    def names(self) -> list[str]:
        return ["a", "b"]

    def load(self, name: str) -> Sequence:
        boxes = GT.copy()
        if name == "b":
            boxes[3] = np.nan
        return Sequence(name, sorted((self.root / name).glob("*.jpg")), boxes)


class ToyBenchmark(OPEBenchmark):
    rules = "uav"  # frames without ground truth are dropped

    def reader(self, root, partial):
        return ToyReader(root, partial)


class Still:
    """Reports the box it was started on: exact on a still target."""

    name = "still"
    is_deterministic = True

    def init(self, image, box):
        self.box = np.asarray(box, dtype=np.float64)

    def update(self, image):
        return self.box


@pytest.fixture
def toy(tmp_path):
    for name in ("a", "b"):
        write_frames(tmp_path / "data" / name, len(GT))
    bench = register(ToyBenchmark("toy", "Toy"))
    yield bench
    BENCHMARKS.pop("toy")


def test_a_registered_benchmark_runs_scores_and_reports(tmp_path, toy):
    out = run_benchmark(Still, "toy", tmp_path / "data", tmp_path / "res", progress=False)
    assert out == tmp_path / "res" / "Toy" / "still"
    assert sorted(p.name for p in out.glob("*.txt")) == ["a.txt", "b.txt"]
    assert json.loads((out / "hrom_run.json").read_text())["benchmark"] == "toy"

    report = evaluate("toy", tmp_path / "data", tmp_path / "res")
    assert report["benchmark"] == "toy" and report["scoring"] == "uav" and report["sequences"] == ["a", "b"]
    o = report["trackers"]["still"]["overall"]
    assert o["precision_20px"] == 1.0 and o["success_auc"] == pytest.approx(20 / 21)  # IoU 1 is not > 1
    files = write_report(report, tmp_path / "rep")
    assert [p.name for p in files[:2]] == ["report.json", "report.md"]
    assert {p.name for p in files} >= {"success.png", "precision.png", "norm_precision.png", "score_vs_fps.png"}
    assert "| 1 | still | 0.952 | 1.000 |" in (tmp_path / "rep" / "report.md").read_text()


def test_the_cli_knows_a_registered_benchmark(tmp_path, toy, capsys):
    run_benchmark(Still, "toy", tmp_path / "data", tmp_path / "res", progress=False)
    code = main(["eval", "report", "--benchmark", "toy", "--root", str(tmp_path / "data"),
                 "--results", str(tmp_path / "res"), "--out", str(tmp_path / "rep")])
    assert code == 0 and "success_auc" in capsys.readouterr().out
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["trackers"]["still"]["overall"]["fps"] > 0


def test_a_malformed_time_file_is_one_line(tmp_path, toy):
    out = run_benchmark(Still, "toy", tmp_path / "data", tmp_path / "res", progress=False)
    (out / "times" / "a_time.txt").write_text("0.01\nfast\n")
    with pytest.raises(HromError, match=r"a_time.txt: not a time file"):
        evaluate("toy", tmp_path / "data", tmp_path / "res")
