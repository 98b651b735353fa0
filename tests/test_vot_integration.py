"""hrom inside the VOT toolkit: the TraX server driven by vot-trax's own client, and an end-to-end
``vot evaluate`` / ``vot analysis`` on a local workspace built from ../shared/data/vot."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.benchmarks import write_frames

from hrom.benchmarks.sequence import vot_init_box
from hrom.tracking import create_tracker

trax = pytest.importorskip("trax", reason="needs the TraX library (pip install vot-trax)")

from trax.client import Client  # noqa: E402
from trax.image import FileImage, MemoryImage  # noqa: E402
from trax.region import Polygon, Rectangle  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
POLY = [12.5, 10.0, 40.0, 14.0, 37.0, 36.0, 9.5, 32.0]


def _server(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hrom.trax_server", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO, bufsize=0)
    log: list[str] = []  # vot-trax 4.0.2's client needs a logger (log=False fails in ctypes)
    return proc, Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=log.append)


def _frames(tmp_path, n=8):
    paths = write_frames(tmp_path / "f", n, pattern="{:08d}.jpg", size=(64, 48))
    for k, p in enumerate(paths):  # a bright square moving right, for something to follow
        img = cv2.imread(str(p))
        img[12:34, 12 + k : 36 + k] = 230
        cv2.imwrite(str(p), img)
    return paths


def _reference(frames, region):
    t = create_tracker("kcf")
    t.init(cv2.imread(str(frames[0])), vot_init_box(region))
    return [np.asarray(t.update(cv2.imread(str(f)))) for f in frames[1:]]


@pytest.mark.parametrize("kind", ["polygon_path", "rectangle_memory"])
def test_trax_server_with_vot_trax_client(tmp_path, kind):
    frames = _frames(tmp_path)
    proc, client = _server("--tracker", "kcf")
    try:
        assert set(client.region_formats) == {"rectangle", "polygon"} and client.channels == ["color"]
        assert {"path", "memory"} <= set(client.image_formats)
        if kind == "polygon_path":
            region = POLY
            init = Polygon.create([(POLY[i], POLY[i + 1]) for i in range(0, 8, 2)])

            def image(p):
                return FileImage.create(str(p))
        else:
            region = [10.0, 12.0, 24.0, 22.0]
            init = Rectangle.create(*region)

            def image(p):
                return MemoryImage.create(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB))
        status, _ = client.initialize({"color": image(frames[0])}, [(init, {})], {})
        assert len(status) == 1
        boxes = []
        for f in frames[1:]:
            status, _ = client.frame({"color": image(f)}, {}, [])
            boxes.append(status[0][0].bounds())
        # the same boxes as the tracker run in-process from vot_init_box (TraX carries float32)
        np.testing.assert_allclose(boxes, _reference(frames, region), atol=1e-3)
        client.quit()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_trax_server_reports_a_bad_frame_in_one_line(tmp_path):
    frames = _frames(tmp_path, 2)
    proc, client = _server("--tracker", "kcf")
    try:
        client.initialize({"color": FileImage.create(str(frames[0]))}, [(Rectangle.create(10, 12, 24, 22), {})], {})
        with pytest.raises(trax.TraxException, match="cannot read the image"):
            client.frame({"color": FileImage.create(str(tmp_path / "missing.jpg"))}, {}, [])
        assert proc.wait(30) == 2
        err = proc.stderr.read().decode()
        assert err.count("\n") == 1 and "missing.jpg: cannot read the image" in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()


def _vot_toolkit():
    from hrom.vot_cli import install_attributee_shim

    install_attributee_shim()
    try:
        from vot.region import Special
        from vot.region.io import read_trajectory_binary
    except ImportError:
        pytest.skip("needs vot-toolkit 0.9 (pip install --no-deps vot-toolkit==0.9.0; its dependencies are in [dev])")
    return Special, read_trajectory_binary


TRACKERS_INI = """[hrom]
label = hrom (bundled weights)
protocol = trax
command = {python} -m hrom.trax_server --tracker hrom --hp vot

[kcf]
label = OpenCV KCF through hrom
protocol = trax
command = {python} -m hrom.trax_server --tracker kcf
"""

STACK = """title: VOT2018 baseline on local sequences (no download)
experiments:
  baseline:
    type: supervised
    repetitions: 1
    skip_initialize: 5
    analyses:
      - type: supervised_average_ar
        sensitivity: 30
"""


@pytest.mark.slow
def test_vot_toolkit_runs_hrom_end_to_end(shared_dir, tmp_path):
    """`vot evaluate` + `vot analysis` (vot-toolkit 0.9, offline) on a workspace holding the real
    VOT sequence: result files for hrom's bundled tracker and KCF, the toolkit's accuracy equal
    to hrom's scoring of the same files with --overlap vot-toolkit, and KCF's trajectory equal to
    `hrom eval run --overlap vot-toolkit`."""
    Special, read_trajectory_binary = _vot_toolkit()
    ws = tmp_path / "ws"
    (ws / "sequences").mkdir(parents=True)
    (ws / "sequences" / "bag").symlink_to(shared_dir / "data" / "vot" / "sequences" / "bag")
    (ws / "sequences" / "list.txt").write_text("bag\n")
    (ws / "stack.yaml").write_text(STACK)
    (ws / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    (ws / "trackers.ini").write_text(TRACKERS_INI.format(python=sys.executable))
    configparser.ConfigParser().read(ws / "trackers.ini")  # the README template parses
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def vot(*args):
        r = subprocess.run([sys.executable, "-m", "hrom.vot_cli", *args, "--workspace", str(ws)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        return r

    vot("evaluate", "hrom", "kcf")
    runs = {}
    for t in ("hrom", "kcf"):
        f = ws / "results" / t / "baseline" / "bag" / "bag_001.bin"
        with open(f, "rb") as fp:
            traj = read_trajectory_binary(fp)
        assert len(traj) == 196 and isinstance(traj[0], Special) and traj[0].code == 1
        assert (ws / "results" / t / "baseline" / "bag" / "bag_001_time.value").is_file()
        runs[t] = traj
        # the same records in hrom's result layout
        lines = [str(r.code) if isinstance(r, Special) else ",".join(repr(float(v)) for v in (r.x, r.y, r.width, r.height))
                 for r in traj]
        d = tmp_path / "converted" / "VOT2018" / t / "baseline" / "bag"
        d.mkdir(parents=True)
        (d / "bag_001.txt").write_text("\n".join(lines) + "\n")

    vot("analysis", "hrom", "kcf", "--format", "json", "--name", "ar")
    theirs = json.loads((ws / "analysis" / "ar.json").read_text())["results"]["baseline"]["results"][0]
    from hrom.benchmarks import evaluate, run_benchmark

    ours = evaluate("vot2018", ws, tmp_path / "converted", trackers=["hrom", "kcf"], overlap="vot-toolkit")["trackers"]
    for i, t in enumerate(("hrom", "kcf")):  # the toolkit lists trackers in the order they were given
        accuracy, failures = theirs[i][0], theirs[i][1]
        assert ours[t]["overall"]["accuracy"] == pytest.approx(accuracy, abs=1e-9)
        assert ours[t]["overall"]["lost_number"] == failures

    out = run_benchmark("kcf", "vot2018", ws, tmp_path / "hrom_results", tracker_name="kcf", overlap="vot-toolkit",
                        progress=False)
    from hrom.benchmarks.results import read_vot_file

    mine = read_vot_file(out / "baseline" / "bag" / "bag_001.txt")
    for rec, r in zip(mine, runs["kcf"]):
        if isinstance(r, Special):
            assert rec == [float(r.code)]
        else:
            np.testing.assert_allclose(rec, [r.x, r.y, r.width, r.height], atol=1e-3)
