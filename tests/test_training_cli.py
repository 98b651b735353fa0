"""``hrom train`` as users run it: bad input, torchrun with two CPU processes, kill -9 and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hrom.cli.main import main
from hrom.models.checkpoint import read_checkpoint

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "configs" / "tiny_synthetic.yaml"


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("RANK", None)
    env.pop("WORLD_SIZE", None)
    return env


@pytest.mark.parametrize("argv, message", [
    (["--config", "{tmp}/missing.yaml"], "config file not found"),
    (["--config", str(TINY), "--set", "no_such_key=1"], "unknown config key no_such_key"),
    (["--config", str(TINY), "--set", "schedule.epochs"], "not of the form key=value"),
    (["--config", str(TINY), "--set", "schedule.epochs=many"], "schedule.epochs: expected an integer"),
    (["--config", str(TINY), "--set", "data.sources=[{type: got10k, root: {tmp}/no_data}]"], "no_data"),
    (["--config", str(TINY), "--set", "data.sources=[]"], "data.sources"),
    (["--config", str(TINY), "--set", "device=tpu"], "device"),
    (["--resume"], "config.yaml"),
    (["--config", str(TINY), "--set", "model=hrom-w99"], "hrom-w99"),
    (["--config", str(TINY), "--set", "backbone_weights={tmp}/none.pth"], "none.pth"),
    (["--config", str(TINY), "--set", "init_weights={tmp}/none.pt"], "init_weights: {tmp}/none.pt: neither a model preset"),
    (["--config", str(TINY), "--set", "init_exclude=[rpn.loc]"], "init_exclude needs init_weights"),
    (["--config", str(TINY), "--set", "device=cuda"], "CUDA"),
    (["--config", str(TINY), "--threads", "-1"], "--threads"),
    (["--config", str(TINY), "--set", "distill.weight=1", "--set", "distill.teacher={tmp}/nano.onnx"],
     "{tmp}/nano.onnx: distill.teacher not found"),
    (["--config", str(TINY), "--set", "distill.weight=1"], "needs distill.teacher"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    if "device=cuda" in argv and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = main(["train", *argv, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("hrom train: error:"), err
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert not (tmp_path / "run").exists()  # a run that failed at set-up leaves no folder behind


def test_tiny_config_trains_and_refuses_to_overwrite_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--config", str(TINY), "--out", str(run), "--set", "data.samples_per_epoch=8",
                 "--set", "progress=false"]) == 0
    assert (run / "checkpoints" / "epoch_02.pt").is_file()
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in log] == [2, 4]
    capsys.readouterr()
    assert main(["train", "--config", str(TINY), "--out", str(run)]) == 2
    assert "--resume" in capsys.readouterr().err


def _params(path):
    return read_checkpoint(path)["state_dict"]


@pytest.mark.parametrize("distill", [False, True], ids=["plain", "distill"])
def test_torchrun_two_cpu_processes_stay_in_sync(tmp_path, distill):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "hrom", "train", "--config", str(TINY), "--out", str(run),
           "--set", "data.samples_per_epoch=16", "--set", "batch_size=2", "--set", "progress=false",
           "--set", "debug.dump_rank_state=true", "--set", "log_every=1"]
    if distill:  # the term's gradient reaches the neck through the hook on each rank's own model
        pytest.importorskip("onnxruntime", reason="the onnx extra (pip install 'hrom[onnx]') is not installed")
        from helpers.teachers import export_teacher

        export_teacher(tmp_path / "teacher.onnx")
        cmd += ["--set", f"distill.teacher={tmp_path / 'teacher.onnx'}", "--set", "distill.weight=1"]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(run / "debug" / "rank0.pt", weights_only=True)
    r1 = torch.load(run / "debug" / "rank1.pt", weights_only=True)
    # 16 pairs / (2 processes x batch 2) = 4 iterations per epoch, 2 epochs
    assert len(r0["seen"]) == len(r1["seen"]) == 16
    assert not set(r0["seen"]) & set(r1["seen"])  # each rank trained on different pairs ...
    from hrom.models.hrom import HROM
    from hrom.models.config import get_preset

    torch.manual_seed(0)
    init = HROM(get_preset("hrom-tiny")).state_dict()
    names = [n for n, _ in HROM(get_preset("hrom-tiny")).named_parameters()]
    for n in names:  # ... yet every parameter is identical on both after the last step
        assert torch.equal(r0["state_dict"][n], r1["state_dict"][n]), n
    assert any(not torch.equal(r0["state_dict"][n], init[n]) for n in names if n.startswith("backbone."))
    # rank 0 alone logs and saves; the checkpoint holds rank 0's weights
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in log] == list(range(1, 9))
    assert all(("distill" in r) is distill for r in log)
    if distill:  # both ranks' terms, averaged like the other losses
        assert all(r["loss"] == pytest.approx(r["cls"] + 1.2 * r["loc"] + r["distill"], rel=1e-5) for r in log)
    saved = _params(run / "checkpoints" / "epoch_02.pt")
    for n in names:
        assert torch.equal(saved[n], r0["state_dict"][n]), n
    assert read_checkpoint(run / "checkpoints" / "latest.pt")["train_state"]["world_size"] == 2


def test_kill_9_then_resume_gives_the_uninterrupted_weights(tmp_path):
    base = [sys.executable, "-m", "hrom", "train", "--config", str(TINY), "--set", "progress=false",
            "--set", "checkpoint_every=2", "--set", "data.samples_per_epoch=24"]
    full, cut = tmp_path / "full", tmp_path / "cut"
    done = subprocess.run([*base, "--out", str(full)], env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    proc = subprocess.Popen([*base, "--out", str(cut)], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = cut / "checkpoints" / "latest.pt"
    deadline = time.monotonic() + 240
    while not latest.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    saved_at = read_checkpoint(latest)["train_state"]["global_iter"]
    assert 2 <= saved_at < 12 and not (cut / "checkpoints" / "epoch_02.pt").exists()
    res = subprocess.run([sys.executable, "-m", "hrom", "train", "--out", str(cut), "--resume"],
                         env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert sorted(p.name for p in (cut / "checkpoints").iterdir()) == ["epoch_01.pt", "epoch_02.pt", "latest.pt"]
    a, b = _params(full / "checkpoints" / "epoch_02.pt"), _params(cut / "checkpoints" / "epoch_02.pt")
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=1e-7, msg=k)
    iters = [json.loads(line)["iter"] for line in (cut / "log.jsonl").read_text().splitlines()]
    assert iters == list(range(2, 13, 2))


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    out, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), []):
            out.append(c)
            stack.append(c)
    return out


def _running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc to list child processes")
def test_kill_9_with_loader_workers_leaves_no_process_behind(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "hrom", "train", "--config", str(TINY), "--out", str(tmp_path / "run"),
                             "--set", "workers=2", "--set", "data.samples_per_epoch=100000", "--set", "progress=false"],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        # the resource tracker, the fork server and two loader workers
        while len(_descendants(proc.pid)) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        children = _descendants(proc.pid)
        assert len(children) >= 4, children
    finally:
        proc.kill()
        proc.wait(timeout=60)
    deadline = time.monotonic() + 20  # was minutes before the parent-death signals
    while any(_running(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [c for c in children if _running(c)]
    for c in alive:
        os.kill(c, signal.SIGKILL)
    assert not alive


def test_ctrl_c_saves_a_resumable_checkpoint_and_prints_the_command(tmp_path):
    base = ["--config", str(TINY), "--set", "progress=false", "--set", "log_every=1", "--set", "checkpoint_every=0",
            "--set", "data.samples_per_epoch=48"]
    run, full = tmp_path / "cut", tmp_path / "full"
    done = subprocess.run([sys.executable, "-m", "hrom", "train", *base, "--out", str(full)], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    proc = subprocess.Popen([sys.executable, "-m", "hrom", "train", *base, "--out", str(run)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = run / "log.jsonl"
    deadline = time.monotonic() + 240
    while not (log.exists() and log.read_text().strip()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    command = f"hrom train --out {run} --resume"
    assert lines[-1].strip() == command, lines
    saved = read_checkpoint(run / "checkpoints" / "latest.pt")["train_state"]["global_iter"]
    logged = [json.loads(line)["iter"] for line in log.read_text().splitlines()]
    assert 1 <= saved < 24 and logged[-1] == saved  # the last finished iteration, nothing more
    res = subprocess.run([sys.executable, "-m", *command.split()], env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    a, b = _params(full / "checkpoints" / "epoch_02.pt"), _params(run / "checkpoints" / "epoch_02.pt")
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=1e-7, msg=k)
    again = subprocess.run([sys.executable, "-m", *command.split()], env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already finished" in again.stdout, again.stdout + again.stderr
