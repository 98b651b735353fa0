"""``hrom eval`` command line: names that would leave --results, unwritable outputs, help texts,
--threads, and worker processes that die with the command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers.benchmarks import keep_threads, moving_boxes, write_boxes, write_frames  # noqa: F401 (fixture)
from test_benchmarks_readers import make_otb

from hrom.benchmarks import run_benchmark
from hrom.cli.main import main

REPO = Path(__file__).resolve().parent.parent


def _run(argv, capsys):
    code = main(["eval", *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", ["../../x", "{tmp}/abs/x", "", "a/../../x"])
def test_name_cannot_leave_results(tmp_path, capsys, name):
    make_otb(tmp_path / "otb")
    name = name.replace("{tmp}", str(tmp_path))
    code, err = _run(["run", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial", "--tracker", "kcf",
                      "--results", str(tmp_path / "res" / "r"), "--name", name, "--quiet"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--name" in err and "Traceback" not in err
    assert [p for p in tmp_path.rglob("*.txt") if tmp_path / "otb" not in p.parents] == []
    assert not (tmp_path / "res").exists() and not (tmp_path / "x").exists() and not (tmp_path / "abs").exists()


@pytest.mark.parametrize("case", ["file", "parent_is_file", "read_only"])
def test_unwritable_results_and_out(tmp_path, capsys, case, readonly_dir):
    make_otb(tmp_path / "otb")
    (tmp_path / "afile").write_text("x")
    target = {"file": tmp_path / "afile", "parent_is_file": tmp_path / "afile" / "sub",
              "read_only": readonly_dir / "results"}[case]
    # a tracker that cannot be built: the output check must come first, before any work
    code, err = _run(["run", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial",
                      "--tracker", str(tmp_path / "missing.pt"), "--results", str(target), "--quiet"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--results" in err and "Traceback" not in err, err
    code, err = _run(["report", "--benchmark", "otb100", "--root", str(tmp_path / "nowhere"), "--results",
                      str(tmp_path / "res"), "--out", str(target)], capsys)
    assert code == 2 and err.count("\n") == 1 and "--out" in err and "Traceback" not in err, err


def test_help_lists_every_benchmark_and_documents_device(capsys):
    for sub in ("run", "report"):
        with pytest.raises(SystemExit):
            main(["eval", sub, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert "vot2018_ope" in out and "got10k_test" in out and "--overlap" in out
        if sub == "run":
            assert "cpu (default), cuda or cuda:N" in out and "--repetitions" in out and "--threads" in out


class ThreadsReporter:
    """Reports torch's thread count of the process it runs in as the box's x."""

    name = "threads"

    def init(self, image, box):
        pass

    def update(self, image):
        return (float(torch.get_num_threads()), 0.0, 5.0, 5.0)


def test_threads_in_main_process_and_workers(tmp_path, capsys):
    make_otb(tmp_path / "otb")
    out = run_benchmark(ThreadsReporter, "otb100", tmp_path / "otb", tmp_path / "res", workers=2, threads=2,
                        tracker_name="threads", sequences=["Crossing", "Human4"], partial=True, progress=False)
    for seq in ("Crossing", "Human4"):
        xs = np.loadtxt(out / f"{seq}.txt", delimiter=",")[1:, 0]
        assert (xs == 2).all()
    code, _ = _run(["run", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial", "--sequences",
                    "Crossing", "--tracker", "kcf", "--results", str(tmp_path / "res"), "--threads", "3", "--quiet"], capsys)
    assert code == 0 and torch.get_num_threads() == 3  # (keep_threads restores the test process afterwards)
    code, err = _run(["run", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--tracker", "kcf",
                      "--results", str(tmp_path / "res"), "--threads", "0"], capsys)
    assert code == 2 and "--threads 0" in err


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmd:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_workers_die_with_a_killed_command(tmp_path):
    """kill -9 of `eval run --workers 2`: the workers must not keep tracking and writing results."""
    root = tmp_path / "otb"
    for seq in ("Crossing", "Couple"):  # long enough that a worker is still tracking when killed
        write_frames(root / seq / "img", 400, size=(320, 240))
        write_boxes(root / seq / "groundtruth_rect.txt", moving_boxes(400, x0=100, y0=80, w=40, h=30))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hrom", "eval", "run", "--benchmark", "otb100", "--root", str(root),
                             "--partial", "--tracker", "csrt", "--results", str(tmp_path / "res"), "--workers", "2",
                             "--quiet"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    workers: list[int] = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _children(proc.pid)
            assert proc.poll() is None, "eval run ended before its workers started"
        assert len(workers) == 2, "no worker processes seen"
        time.sleep(2.0)  # let them load and start tracking
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # a worker that was tracking gets SIGTERM at once; one still importing (a busy machine)
        # exits as soon as its initializer finds the parent gone
        deadline = time.time() + 30
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} still running 30 s after kill -9 of their parent"
        written = sorted(p.name for p in (tmp_path / "res").rglob("*.txt"))
        time.sleep(1.0)
        assert sorted(p.name for p in (tmp_path / "res").rglob("*.txt")) == written  # nothing written after
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
