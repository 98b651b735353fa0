"""The speed scripts of ``tools/`` run end to end (each as its own process, as a user runs it) on
the smallest inputs that still take their real code path, and print the rows and figures they
promise: every name expected, every fps / ms / ratio figure a positive finite number, and the
figures that are not timings (equal scores, FLOP counts, output differences) right.

Speeds themselves are machine dependent and not checked.  One thread everywhere (a shared 2-core
machine); ONNX exports go to a temp ``$XDG_CACHE_HOME``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.tools import load_tool

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEMO = REPO / "src" / "hrom" / "assets" / "demo"
NUM = r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)"  # what the scripts print for a figure


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def run_tool(name: str, *args: str, tmp_path: Path, timeout: int = 300) -> str:
    """``python tools/<name>.py ARGS`` from the repository root, one thread, temp caches; its stdout."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", XDG_CACHE_HOME=str(cache), TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, str(REPO / "tools" / f"{name}.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"tools/{name}.py exited {proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc.stdout


def positive(text: str) -> float:
    """A printed figure that must be a positive finite number ("12.5", "7.6", "33%", "1.20x")."""
    v = float(text.strip().rstrip("%x"))
    assert math.isfinite(v) and v > 0, f"not a positive finite figure: {text!r}"
    return v


def table_rows(out: str) -> list[list[str]]:
    """Cells of the markdown table rows of ``out`` (header and ``|---|`` separator left out)."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    return rows[1:]  # the first is the header


def fps_matches_ms(fps: float, ms: float) -> bool:
    """fps == 1000 / ms up to the rounding of both printed figures (one decimal each)."""
    return 1000 / (ms + 0.05) - 0.05 <= fps <= (1000 / (ms - 0.05) + 0.05 if ms > 0.05 else math.inf)


def test_train_speed_prints_both_phases_per_model(tmp_path):
    out = run_tool("train_speed", "--model", "hrom-tiny", "--batch-size", "2", "--iters", "1", "--warmup", "0",
                   "--threads", "1", tmp_path=tmp_path)
    assert "device cpu, 1 threads, batch 2, 1 timed iterations after 0 warm-up" in out
    rows = re.findall(rf"^(\S+)\s+(warm-up \(frozen\)|end-to-end)\s+({NUM})\s+({NUM})$", out, re.M)
    assert [(m, phase) for m, phase, *_ in rows] == [("hrom-tiny", "warm-up (frozen)"), ("hrom-tiny", "end-to-end")], out
    for _, _, its, pairs in rows:
        its, pairs = positive(its), positive(pairs)
        assert pairs == pytest.approx(2 * its, abs=0.011)  # pairs/s = it/s x batch


def test_score_speed_times_both_scorers_and_they_agree(tmp_path):
    pytest.importorskip("got10k", reason="score_speed compares with the GOT-10k toolkit (got10k not installed)")
    out = run_tool("score_speed", "--seqs", "5", "--frames", "50", "--repeat", "1", tmp_path=tmp_path)
    m = re.search(rf"in memory: hrom curves ({NUM}) ms, got10k metrics\+curves ({NUM}) ms \(({NUM})x\)", out)
    assert m, out
    for v in m.groups():
        positive(v)
    assert "5 sequences x 50 frames (best of 1, files read from disk)" in out
    ours = re.search(rf"^hrom scoring:\s+({NUM}) s$", out, re.M)
    theirs = re.search(rf"^got10k report:\s+({NUM}) s$", out, re.M)
    speedup = re.search(rf"^speed-up:\s+({NUM})x$", out, re.M)
    assert ours and theirs and speedup, out
    positive(ours[1]), positive(theirs[1]), positive(speedup[1])
    same = re.search(rf"success ({NUM}) vs ({NUM}), precision ({NUM}) vs ({NUM})", out)
    assert same, out
    s1, s2, p1, p2 = map(float, same.groups())
    assert 0 < s1 <= 1 and 0 < p1 <= 1
    assert s1 == pytest.approx(s2, abs=1e-6) and p1 == pytest.approx(p2, abs=1e-6)  # same scores from both scorers


def test_data_speed_prints_pairs_per_second_for_each_pipeline(tmp_path):
    out = run_tool("data_speed", "--pairs", "6", "--workers", "1", "--batch", "2", "--cache", tmp_path=tmp_path)
    real = (SHARED / "data" / "train" / "coco128").is_dir() and (SHARED / "data" / "train" / "got10k_uav").is_dir()
    assert ("absent: using the synthetic source" in out) != real, out
    assert re.search(r"^cpu cores: \d+, opencv \S+, torch \S+$", out, re.M), out
    rows = re.findall(rf"^(.+?)\s+({NUM}) pairs/s(?:\s+\(({NUM}) ms/pair, 1 process, 1 thread\))?$", out, re.M)
    assert [label for label, *_ in rows] == ["raw frames, full augmentation", "crop cache, cold (writes 511 crops)",
                                             "crop cache, warm", "DataLoader, 1 workers, batch 2"], out
    for label, rate, ms in rows:
        rate = positive(rate)
        if not label.startswith("DataLoader"):
            assert fps_matches_ms(rate, positive(ms)), (label, rate, ms)


@pytest.mark.slow
def test_thread_speed_prints_one_row_per_case(tmp_path):
    out = run_tool("thread_speed", "--models", "hrom-tiny,train:hrom-tiny", "--frames", "3", "--threads", "1",
                   "--busy", "0", tmp_path=tmp_path)
    assert re.search(r"^\d+ CPUs, load average before: ", out, re.M) and "load average after: " in out, out
    rows = table_rows(out)
    # --busy 0: the idle case once per model and thread count (no duplicated "loaded" case)
    assert [r[:3] for r in rows] == [["hrom-tiny", "1", "idle"], ["train:hrom-tiny", "1", "idle"]], out
    (_, _, _, ms, fps, worst), (_, _, _, step_ms, its, train_worst) = rows
    assert positive(worst) >= positive(ms) - 0.5 and positive(fps) > 0
    assert train_worst == "nan"  # training rows have no worst frame
    assert positive(step_ms) * positive(its) == pytest.approx(1000, rel=0.05)  # ms/step = 1000 / it/s


@pytest.mark.slow
def test_track_speed_prints_a_row_per_tracker(tmp_path):
    specs = ["hrom-w18", "hrom-tiny@onnx", "kcf"] if has_module("onnxruntime") else ["hrom-w18", "kcf"]
    out = run_tool("track_speed", "--frames", "3", "--trackers", ",".join(specs), "--threads", "1",
                   "--video", str(DEMO / "bag_clip.avi"), "--box-file", str(DEMO / "bag_clip_init_box.txt"),
                   tmp_path=tmp_path)
    assert re.search(r"1 torch threads, .*3 frames of bag_clip\.avi \(480x360\), device cpu", out), out
    peaks = re.search(rf"float32 matmul \(4096x4096 torch\.mm\): ({NUM}) GFLOP/s; .* \(oneDNN\): ({NUM}) GFLOP/s", out)
    assert peaks, out
    positive(peaks[1]), positive(peaks[2])
    rows = {r[0]: r for r in table_rows(out)}
    assert list(rows) == specs, out
    gflop = {}
    for spec, (_, init_ms, frame_ms, fps, ratio, search, achieved, of_mm, of_conv) in rows.items():
        positive(init_ms)
        assert fps_matches_ms(positive(fps), positive(frame_ms)), rows[spec]
        positive(ratio)
        if spec.startswith("hrom"):
            gflop[spec] = positive(search)
            for v in (achieved, of_mm, of_conv):
                positive(v)
        else:
            assert [search, achieved, of_mm, of_conv] == ["-"] * 4, rows[spec]
    assert rows["hrom-w18"][4] == "1.00"  # the ratio's reference
    if "hrom-tiny@onnx" in gflop:  # FLOPs of the exported network: far fewer than hrom-w18's
        assert gflop["hrom-tiny@onnx"] < gflop["hrom-w18"]


@pytest.mark.slow
def test_onnx_speed_prints_every_path_and_tracker(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnx_speed times ONNX Runtime (onnxruntime not installed)")
    pytest.importorskip("onnx", reason="onnx_speed builds its ONNX matmul with the onnx package (not installed)")
    if not (SHARED / "data" / "otb" / "Crossing").is_dir():
        pytest.skip(f"onnx_speed tracks the real frames of {SHARED}/data/otb/Crossing (absent on this machine)")
    out = run_tool("onnx_speed", "--model", "hrom-tiny", "--threads", "1", "--reps", "1", "--frames", "4",
                   tmp_path=tmp_path)
    assert "1 threads used" in out, out
    for when in ("start", "end"):
        m = re.search(rf"matmul ceiling \({when}\):\s+torch\.mm ({NUM}), numpy ({NUM}), onnxruntime ({NUM}) GFLOP/s", out)
        assert m, out
        for v in m.groups():
            positive(v)
    m = re.search(rf"hrom-tiny search pass: ({NUM}) GFLOP; ceiling ({NUM}) GFLOP/s", out)
    assert m, out
    positive(m[1]), positive(m[2])

    flags = load_tool("onnx_speed").cpu_flags()
    expected = ["torch eager (NCHW)", "torch channels_last (TorchBackend)", "torch channels_last + BN folded"]
    if {"avx512_bf16", "amx_bf16"} & flags:
        expected.append("torch bf16 autocast, channels_last, BN folded")
    expected.append("onnxruntime (OnnxBackend)")
    paths = re.findall(rf"^(.+?)\s+({NUM})\s+({NUM})\s+({NUM})\s+({NUM})%\s+({NUM})$", out, re.M)
    assert [p[0] for p in paths] == expected, out
    for name, best, median, gflops, share, diff in paths:
        assert positive(best) <= positive(median)
        positive(gflops), positive(share)
        diff = float(diff)
        assert math.isfinite(diff) and diff >= 0
        if name == "torch eager (NCHW)":
            assert diff == 0  # the reference itself
        elif "bf16" not in name:
            assert diff < 1e-3, (name, diff)  # float32 paths give the eager outputs

    assert "end to end on otb/Crossing, 2 timed frames" in out, out
    trackers = re.findall(rf"^  (.+?)\s+({NUM}) frames/s\s*(?:({NUM})x NanoTrack)?$", out, re.M)
    names = [t[0] for t in trackers]
    nano = "OpenCV NanoTrack v2 (cv2.TrackerNano)"
    assert names[:2] == ["HROM hrom-tiny (torch)", "HROM hrom-tiny (onnx)"], out
    if (SHARED / "peers" / "nanotrack_v2").is_dir():
        assert names[2:] == [nano], out  # the peer weights are there: NanoTrack must run
    if names[2:]:
        for _, fps, ratio in trackers:
            positive(fps), positive(ratio)
        assert trackers[2][2] == "1.00"
    else:
        assert "NanoTrack unavailable" in out, out
        for _, fps, _ in trackers:
            positive(fps)
