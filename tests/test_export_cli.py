"""``hrom export``: files written, and bad input -> one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("onnx", reason="export CLI tests need hrom[onnx]")
pytest.importorskip("onnxruntime", reason="export CLI tests need hrom[onnx]")

from hrom.cli.main import main  # noqa: E402
from hrom.export.onnx_backend import read_sidecar  # noqa: E402
from hrom.models.checkpoint import save_checkpoint  # noqa: E402
from helpers.export import realistic_model  # noqa: E402


def test_export_checkpoint_writes_graphs_and_sidecar(tmp_path, capsys):
    ckpt = save_checkpoint(realistic_model("hrom-tiny"), tmp_path / "tiny.pt", tracker_hp={"lr": 0.3})
    out = tmp_path / "out"
    assert main(["export", str(ckpt), "--out", str(out), "--opset", "20"]) == 0
    printed = capsys.readouterr().out
    assert "max abs difference" in printed
    diff = float(printed.split("max abs difference")[1].split()[0])
    assert diff < 1e-4
    assert sorted(p.name for p in out.iterdir()) == ["hrom_search.onnx", "hrom_template.onnx", "hrom_tracker.json"]
    meta = read_sidecar(out)  # also checks the SHA-256 of both graphs
    assert meta["opset"] == 20 and meta["source"] == str(ckpt)
    assert meta["tracker_hp"]["lr"] == 0.3 and meta["tracker_hp_source"] == "checkpoint"


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hrom", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", ["missing", "junk", "opset", "out_is_file", "wrong_weights"])
def test_bad_input_is_one_line_exit_2(tmp_path, case):
    import torch

    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    out = tmp_path / "out"
    args = {"missing": [str(tmp_path / "none.pt"), "--out", str(out)],
            "junk": [str(junk), "--out", str(out)],
            "opset": ["hrom-tiny", "--out", str(out), "--opset", "17"],
            "out_is_file": ["hrom-tiny", "--out", str(junk)]}
    if case == "wrong_weights":
        ckpt = save_checkpoint(realistic_model("hrom-tiny"), tmp_path / "bad.pt")
        data = torch.load(ckpt, weights_only=True)
        data["model_config"]["width"] = 12  # config no longer matches the stored weights
        torch.save(data, ckpt)
        args[case] = [str(ckpt), "--out", str(out)]
    proc = _run_cli("export", *args[case])
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("hrom export: error: ")
    assert "Traceback" not in proc.stderr
    expected = {"missing": "neither a model preset", "junk": "not a readable checkpoint", "opset": "opset 19 or later",
                "out_is_file": "is not a directory", "wrong_weights": "weights do not match"}[case]
    assert expected in lines[0]
    assert not out.exists()


def test_missing_onnx_packages_is_one_line(tmp_path):
    code = ("import sys; sys.modules['onnx'] = None; from hrom.cli.main import main; "
            f"sys.exit(main(['export', 'hrom-tiny', '--out', {str(tmp_path / 'o')!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "hrom export: error: ONNX support needs the onnx and onnxruntime packages (onnx is missing); "
        "install hrom[onnx] (pip install 'hrom[onnx]')"]


def test_sidecar_is_plain_json(tmp_path):
    assert main(["export", "hrom-tiny", "--out", str(tmp_path), "--no-verify"]) == 0
    meta = json.loads((tmp_path / "hrom_tracker.json").read_text())
    assert set(meta) >= {"model_config", "tracker_hp", "anchors", "graphs", "preprocessing", "outputs"}
