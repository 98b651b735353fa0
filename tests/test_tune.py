"""``hrom tune``: exact range parsing, a real 4-trial grid on two short OTB sequences (ranking
order, the best score reproduced by ``hrom eval run`` + ``report`` with ``--hp best_hp.yaml``),
resume from the journal, interruption, search-space refusal, workers, the tuned checkpoint and
one-line errors.

Tracks with the bundled weights on the first 20 frames of Crossing and Vase (symlinked into a
trimmed OTB root), one thread: the whole file takes about half a minute.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
from pathlib import Path

import pytest

from hrom.benchmarks import tune as tune_mod
from hrom.benchmarks.tune import SearchSpace, parse_range, trial_id
from hrom.cli.main import main
from hrom.errors import HromError

FRAMES = 20
SEQS = ("Crossing", "Vase")
SPACE = ["--penalty-k", "0.0,0.3", "--window-influence", "0.2,0.6", "--lr", "0.4"]
TRIALS = ["k0_w0.2_lr0.4", "k0_w0.6_lr0.4", "k0.3_w0.2_lr0.4", "k0.3_w0.6_lr0.4"]  # grid order


# ---- ranges and spaces (no data) ---------------------------------------------------------------

def test_grid_range_is_exact_and_inclusive():
    assert parse_range("0.0:0.5:0.05", "penalty_k") == [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
    assert parse_range("0.1:0.35:0.1", "lr") == [0.1, 0.2, 0.3]          # STOP off the grid is not reached
    assert parse_range("0.3:0.3:0.1", "lr") == [0.3]
    assert parse_range(" 0.04, 0.1,0.2,0.1", "penalty_k") == [0.04, 0.1, 0.2]  # list, duplicates dropped
    assert parse_range("1e-2", "penalty_k") == [0.01]


@pytest.mark.parametrize("text, knob, words", [
    ("0.5:0.1:0.1", "penalty_k", ["--penalty-k", "empty range"]),
    ("", "lr", ["--lr", "empty range"]),
    ("0.1:0.5", "lr", ["--lr", "START:STOP:STEP"]),
    ("0:1:0", "penalty_k", ["STEP must be > 0"]),
    ("0:1:-0.1", "penalty_k", ["STEP must be > 0"]),
    ("a,0.2", "window_influence", ["--window-influence", "'a' is not a number"]),
    ("0.1,,0.2", "lr", ["empty item"]),
    ("nan", "lr", ["not a finite number"]),
    ("0.5,1.5", "lr", ["1.5 is out of range", "[0, 1]"]),
    ("-0.1", "penalty_k", ["out of range", ">= 0"]),
    ("0:1:0.00001", "penalty_k", ["100001 values"]),
    ("0.1,1.5", "template_keep", ["--template-keep", "1.5 is out of range", "[0, 1]"]),
    ("0.5,1", "lost_score", ["--lost-score", "1 is out of range", "[0, 0.99]"]),
])
def test_bad_ranges(text, knob, words):
    with pytest.raises(HromError) as exc:
        parse_range(text, knob)
    msg = str(exc.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


def test_grid_and_random_points():
    base = {"penalty_k": 0.04, "window_influence": 0.44, "lr": 0.4}
    grid = SearchSpace({"penalty_k": [0.0, 0.3], "window_influence": [0.2, 0.6]}).points(base)
    assert [trial_id(p) for p in grid] == ["k0_w0.2_lr0.4", "k0_w0.6_lr0.4", "k0.3_w0.2_lr0.4", "k0.3_w0.6_lr0.4"]
    space = SearchSpace({"penalty_k": [0.0, 0.5], "lr": [0.2, 0.3, 0.6]}, "random", trials=25, seed=3)
    pts = space.points(base)
    assert len(pts) == 25 and pts == space.points(base)  # the seed fixes the trials
    assert all(0.0 <= p["penalty_k"] <= 0.5 and 0.2 <= p["lr"] <= 0.6 and p["window_influence"] == 0.44 for p in pts)
    assert all(round(p["penalty_k"], 4) == p["penalty_k"] for p in pts)
    assert max(p["penalty_k"] for p in pts) > 0.3 and min(p["lr"] for p in pts) < 0.35  # spread, not stuck at one end
    assert SearchSpace({"penalty_k": [0.0, 0.5]}, "random", trials=25, seed=4).points(base) != pts
    with pytest.raises(HromError, match="--trials applies to --search random"):
        SearchSpace({"lr": [0.3]}, "grid", trials=3)
    with pytest.raises(HromError, match="nothing to search"):
        SearchSpace({})


def test_template_and_lost_knobs_join_a_trial_only_when_searched():
    base = {"penalty_k": 0.3, "window_influence": 0.05, "lr": 0.1, "template_lr": 0.0, "template_keep": 0.5,
            "template_score": 0.9, "lost_score": 0.3}
    space = SearchSpace({"template_lr": [0.0, 0.1], "template_keep": [0.5]})
    assert space.knobs == ("penalty_k", "window_influence", "lr", "template_lr", "template_keep")
    pts = space.points(base)
    assert [trial_id(p) for p in pts] == ["k0.3_w0.05_lr0.1_tl0_tk0.5", "k0.3_w0.05_lr0.1_tl0.1_tk0.5"]
    assert pts[1] == {"penalty_k": 0.3, "window_influence": 0.05, "lr": 0.1, "template_lr": 0.1, "template_keep": 0.5}
    assert [trial_id(p) for p in SearchSpace({"lr": [0.2]}).points(base)] == ["k0.3_w0.05_lr0.2"]  # ids as before
    pts = SearchSpace({"lost_score": [0.1, 0.5]}, "random", trials=5, seed=0).points(base)
    assert all(0.1 <= p["lost_score"] <= 0.5 and "template_lr" not in p for p in pts)


# ---- bad input through the command line (no data needed) ------------------------------------------


@pytest.mark.parametrize("case", ["range", "empty", "benchmark", "root", "out", "kcf", "preset", "nothing",
                                  "trials", "got10k_test", "same_checkpoint"])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, case, readonly_dir):
    from hrom.models.checkpoint import bundled_checkpoint

    out = tmp_path / "out"
    argv = {"tracker": "hrom", "benchmark": "otb100", "root": str(tmp_path), "out": str(out)}
    extra = ["--lr", "0.3"]
    word = {"range": "--penalty-k", "empty": "empty range", "benchmark": "unknown benchmark", "root": "root",
            "out": "--out", "kcf": "OpenCV tracker", "preset": "untrained", "nothing": "nothing to search",
            "trials": "--trials", "got10k_test": "got10k_val", "same_checkpoint": "never modified"}[case]
    if case == "range":
        extra = ["--penalty-k", "0.1:0.2:x"]
    elif case == "empty":
        extra = ["--lr", "0.6:0.2:0.1"]
    elif case == "benchmark":
        argv["benchmark"] = "otb99"
    elif case == "root":
        argv["root"] = str(tmp_path / "missing")
    elif case == "out":
        argv["out"] = str(readonly_dir / "out")
    elif case in ("kcf", "preset"):
        argv["tracker"] = {"kcf": "kcf", "preset": "hrom-tiny"}[case]
    elif case == "nothing":
        extra = []
    elif case == "trials":
        extra += ["--trials", "3"]
    elif case == "got10k_test":
        argv["benchmark"] = "got10k_test"
    elif case == "same_checkpoint":
        if bundled_checkpoint() is None:
            pytest.skip("no bundled weights in this checkout")
        extra += ["--save-checkpoint", str(bundled_checkpoint())]
    code = main(["tune", *[x for k, v in argv.items() for x in (f"--{k}", v)], *extra, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and word in err and "Traceback" not in err, err
    assert not out.exists()


def test_pretrained_tags_are_tunable_like_hrom():
    from hrom.models.checkpoint import bundled_checkpoint

    if bundled_checkpoint() is None:
        pytest.skip("no bundled weights in this checkout")
    tune_mod.check_tunable("hrom-tiny.bundled")  # shipped weights by their tag, not only the `hrom` alias
    assert tune_mod.checkpoint_source("hrom-tiny.bundled") == tune_mod.checkpoint_source("hrom")
    with pytest.raises(HromError, match="no such checkpoint file"):
        tune_mod.check_tunable("nope.pt")


# ---- a real search -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def otb_root(shared_dir, tmp_path_factory) -> Path:
    """Crossing and Vase cut to their first 20 frames (images symlinked)."""
    root = tmp_path_factory.mktemp("otb")
    for name in SEQS:
        src = shared_dir / "data" / "otb" / name
        (root / name / "img").mkdir(parents=True)
        for f in sorted((src / "img").iterdir())[:FRAMES]:
            os.symlink(f, root / name / "img" / f.name)
        lines = (src / "groundtruth_rect.txt").read_text().splitlines()[:FRAMES]
        (root / name / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    return root


def _tune(root: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        code = main(["tune", "--tracker", "hrom", "--benchmark", "otb100", "--root", str(root), "--partial",
                     "--out", str(out), "--quiet", "--threads", "1", *extra])
    return code, o.getvalue(), e.getvalue()


@pytest.fixture(scope="module")
def tuned(otb_root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tune") / "out"
    code, stdout, err = _tune(otb_root, out, *SPACE)
    assert code == 0, err
    assert "4 trials on 2 sequences (4 run now)" in stdout
    return out


def _journal(out: Path) -> dict[str, dict]:
    return {e["trial"]: e for e in map(json.loads, (out / "trials.jsonl").read_text().splitlines())}


def test_ranking_is_sorted_and_complete(tuned):
    summary = json.loads((tuned / "ranking.json").read_text())
    ranking = summary["ranking"]
    scores = [e["score"] for e in ranking]
    assert [e["rank"] for e in ranking] == [1, 2, 3, 4] and sorted(e["trial"] for e in ranking) == sorted(TRIALS)
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1  # the knobs do change the result
    assert all(0.0 < s <= 1.0 for s in scores) and summary["metric"] == "success_auc"
    journal = _journal(tuned)
    assert set(journal) == set(TRIALS) and all(journal[e["trial"]]["score"] == e["score"] for e in ranking)
    for e in ranking:  # each trial's result folder holds its own hp and provenance record
        folder = tuned / "trials" / e["trial"]
        hp = (folder / "hp.yaml").read_text()
        assert f"penalty_k: {e['penalty_k']}" in hp and f"window_influence: {e['window_influence']}" in hp
        assert {p.name for p in (folder / "OTB100" / e["trial"]).glob("*.txt")} == {"Crossing.txt", "Vase.txt"}
        assert (folder / "OTB100" / e["trial"] / "hrom_run.json").is_file()
    md = (tuned / "ranking.md").read_text().splitlines()
    rows = [ln for ln in md if ln.startswith("| ") and not ln.startswith("| rank")]
    assert len(rows) == 4 and rows[0].startswith(f"| 1 | {ranking[0]['penalty_k']:g} | ")
    assert f"{ranking[0]['score']:.4f}" in rows[0] and "precision_20px" in "\n".join(md)
    best = ranking[0]
    assert summary["best_hp"]["penalty_k"] == best["penalty_k"] and summary["best_hp"]["lr"] == 0.4
    assert not list(tuned.rglob("*.tmp"))


def test_best_hp_reproduces_the_score_with_eval_and_track(tuned, otb_root, tmp_path, capsys):
    from hrom.tracking.config import resolve_tracker_config

    best = json.loads((tuned / "ranking.json").read_text())["ranking"][0]
    hp = tuned / "best_hp.yaml"
    cfg = resolve_tracker_config(str(hp))
    assert (cfg.penalty_k, cfg.window_influence, cfg.lr) == (best["penalty_k"], best["window_influence"], best["lr"])
    res, rep = tmp_path / "res", tmp_path / "rep"
    assert main(["eval", "run", "--benchmark", "otb100", "--root", str(otb_root), "--partial", "--tracker", "hrom",
                 "--hp", str(hp), "--results", str(res), "--name", "best", "--quiet"]) == 0
    assert main(["eval", "report", "--benchmark", "otb100", "--root", str(otb_root), "--partial",
                 "--results", str(res), "--out", str(rep)]) == 0
    overall = json.loads((rep / "report.json").read_text())["trackers"]["best"]["overall"]
    assert overall["success_auc"] == best["score"]
    assert overall["precision_20px"] == best["metrics"]["precision_20px"]
    # hrom track takes the same file and follows the same boxes as the trial
    boxes = tmp_path / "boxes.txt"
    seq = otb_root / "Crossing"
    assert main(["track", str(seq / "img"), "--box-file", str(seq / "groundtruth_rect.txt"), "--model", "hrom",
                 "--hp", str(hp), "--out", str(boxes), "--quiet"]) == 0
    capsys.readouterr()
    got = [list(map(float, ln.split(","))) for ln in boxes.read_text().splitlines()]
    trial = tuned / "trials" / best["trial"] / "OTB100" / best["trial"] / "Crossing.txt"
    want = [list(map(float, ln.split(","))) for ln in trial.read_text().splitlines()]
    assert len(got) == len(want) == FRAMES
    assert max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w)) < 1e-3


def test_rerun_is_a_noop_and_resume_runs_only_missing_trials(tuned, otb_root, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(tuned, out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    code, stdout, _ = _tune(otb_root, out, *SPACE)
    assert code == 0 and "(0 run now)" in stdout and stdout.count("\n") >= 7  # header + 4 rows + paths
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing rewritten

    # forget one trial (journal line and results) and plant a fake score for another
    journal = _journal(out)
    missing, planted = TRIALS[1], TRIALS[2]
    del journal[missing]
    journal[planted]["score"] = 0.99
    (out / "trials.jsonl").write_text("".join(json.dumps(e) + "\n" for e in journal.values()))
    shutil.rmtree(out / "trials" / missing)
    space = SearchSpace({"penalty_k": [0.0, 0.3], "window_influence": [0.2, 0.6], "lr": [0.4]})
    result = tune_mod.tune("hrom", "otb100", otb_root, out, space, partial=True, progress=False)
    assert result.ran == [missing]  # only the missing trial ran; the journal is trusted for the others
    assert result.ranking[0]["trial"] == planted and result.ranking[0]["score"] == 0.99
    assert _journal(out)[missing]["score"] == _journal(tuned)[missing]["score"]  # and it scores the same again
    assert len((out / "trials.jsonl").read_text().splitlines()) == 4


def test_a_record_from_before_a_tracker_field_existed_resumes_when_the_field_is_at_its_default(tuned, otb_root,
                                                                                                tmp_path):
    """A tune record written before TrackerConfig grew a field: its trials ran as the field's default
    (off), so the search resumes when the base value is that default, and is refused when it is not."""
    out = tmp_path / "out"
    shutil.copytree(tuned, out)
    record = json.loads((out / "hrom_tune.json").read_text())
    base = record["base_hp"]
    assert (base["template_keep"], base["template_score"], base["template_lr"]) == (0.5, 0.9, 0.1)
    for key in ("template_keep", "template_score"):  # the bundled values are the defaults
        del base[key]
    (out / "hrom_tune.json").write_text(json.dumps(record))
    code, stdout, err = _tune(otb_root, out, *SPACE)
    assert code == 0 and "(0 run now)" in stdout, err
    del base["template_lr"]  # the bundled 0.1 is not the default 0: those trials ran without the update
    (out / "hrom_tune.json").write_text(json.dumps(record))
    code, _, err = _tune(otb_root, out, *SPACE)
    assert code == 2 and "base_hp.template_lr 0.0, this command 0.1" in err, err


def test_interrupted_tune_keeps_finished_trials(tuned, otb_root, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = tune_mod.run_trial
    calls = []

    def interrupted(trial):
        calls.append(trial.trial)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second trial
        return real(trial)

    monkeypatch.setattr(tune_mod, "run_trial", interrupted)
    code, _, err = _tune(otb_root, out, "--penalty-k", "0.0,0.3", "--window-influence", "0.6", "--lr", "0.4")
    assert code == 130 and "interrupted" in err
    assert list(_journal(out)) == ["k0_w0.6_lr0.4"] and not (out / "ranking.md").exists()
    assert not list(out.rglob("*.tmp"))
    monkeypatch.setattr(tune_mod, "run_trial", real)
    code, stdout, err = _tune(otb_root, out, "--penalty-k", "0.0,0.3", "--window-influence", "0.6", "--lr", "0.4")
    assert code == 0 and "2 trials on 2 sequences (1 run now)" in stdout, err
    full = _journal(tuned)
    assert {t: e["score"] for t, e in _journal(out).items()} == {t: full[t]["score"] for t in ("k0_w0.6_lr0.4",
                                                                                                   "k0.3_w0.6_lr0.4")}


def test_another_search_in_the_same_out_is_refused(tuned, otb_root, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(tuned, out)
    before = (out / "trials.jsonl").read_text()
    for extra in (["--penalty-k", "0.0,0.2", "--window-influence", "0.2,0.6", "--lr", "0.4"],  # another range
                  ["--penalty-k", "0.0,0.3", "--window-influence", "0.2,0.6"],                # lr no longer given
                  [*SPACE, "--sequences", "Crossing"],                                       # other sequences
                  [*SPACE, "--hp", "otb"]):                                                  # other base hp
        code, _, err = _tune(otb_root, out, *extra)
        assert code == 2 and err.count("\n") == 1 and "holds another search" in err and "--overwrite" in err, err
    assert (out / "trials.jsonl").read_text() == before
    code, stdout, err = _tune(otb_root, out, "--penalty-k", "0.1", "--lr", "0.4", "--sequences", "Crossing",
                              "--hp", "default", "--overwrite")  # window_influence: the default preset's
    assert code == 0 and "1 trials on 1 sequences (1 run now)" in stdout, err
    assert list(_journal(out)) == ["k0.1_w0.44_lr0.4"] and sorted(p.name for p in (out / "trials").iterdir()) == [
        "k0.1_w0.44_lr0.4"]


def test_workers_give_the_same_scores(tuned, otb_root, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = _tune(otb_root, out, "--penalty-k", "0.0,0.3", "--window-influence", "0.2", "--lr", "0.4",
                              "--workers", "2")
    assert code == 0 and "(2 run now)" in stdout, err
    full = _journal(tuned)
    assert {t: e["score"] for t, e in _journal(out).items()} == {t: full[t]["score"] for t in ("k0_w0.2_lr0.4",
                                                                                                   "k0.3_w0.2_lr0.4")}


def test_template_update_knobs_are_searched_like_the_others(otb_root, tmp_path):
    """--template-lr / --template-score: trial ids, the table's columns, best_hp.yaml and the scores
    (updating the template on every frame changes the boxes, so the two trials differ)."""
    out = tmp_path / "out"
    code, stdout, err = _tune(otb_root, out, "--template-lr", "0,0.3", "--template-score", "0", "--sequences", "Vase")
    assert code == 0, err
    ranking = json.loads((out / "ranking.json").read_text())["ranking"]
    from hrom.tracking import create_tracker

    base = create_tracker("hrom").config  # the knobs not searched keep the bundled weights' own values
    stem = f"k{base.penalty_k:g}_w{base.window_influence:g}_lr{base.lr:g}"
    assert sorted(e["trial"] for e in ranking) == [f"{stem}_tl0.3_ts0", f"{stem}_tl0_ts0"]
    assert ranking[0]["score"] != ranking[1]["score"]
    assert "template_lr  template_score" in stdout
    header = next(ln for ln in (out / "ranking.md").read_text().splitlines() if ln.startswith("| rank"))
    assert "| lr | template_lr | template_score | score |" in header
    best = ranking[0]
    from hrom.tracking.config import resolve_tracker_config

    cfg = resolve_tracker_config(str(out / "best_hp.yaml"))
    assert (cfg.template_lr, cfg.template_score, cfg.penalty_k) == (best["template_lr"], 0.0, base.penalty_k)


def test_saved_checkpoint_tracks_with_the_tuned_values(tuned, otb_root, tmp_path, capsys):
    from hrom.benchmarks.provenance import file_sha256
    from hrom.models.checkpoint import bundled_checkpoint, read_checkpoint
    from hrom.tracking import create_tracker

    src = bundled_checkpoint()
    sha = file_sha256(src)
    ckpt = tmp_path / "tuned.pt"
    code, stdout, err = _tune(otb_root, tuned, *SPACE, "--save-checkpoint", str(ckpt))
    assert code == 0 and "(0 run now)" in stdout and f"tuned checkpoint: {ckpt}" in stdout, err
    assert file_sha256(src) == sha  # the input is only read
    summary = json.loads((tuned / "ranking.json").read_text())
    best = summary["ranking"][0]
    saved = read_checkpoint(ckpt)
    assert saved["tracker_hp"] == summary["best_hp"] and saved["extra"]["tune"]["score"] == best["score"]
    cfg = create_tracker(str(ckpt)).config  # no --hp: the checkpoint's own tracker_hp
    assert (cfg.penalty_k, cfg.window_influence, cfg.lr) == (best["penalty_k"], best["window_influence"], best["lr"])
    res, rep = tmp_path / "res", tmp_path / "rep"
    assert main(["eval", "run", "--benchmark", "otb100", "--root", str(otb_root), "--partial", "--tracker", str(ckpt),
                 "--results", str(res), "--quiet"]) == 0
    assert main(["eval", "report", "--benchmark", "otb100", "--root", str(otb_root), "--partial",
                 "--results", str(res), "--out", str(rep)]) == 0
    capsys.readouterr()
    overall = json.loads((rep / "report.json").read_text())["trackers"]["tuned"]["overall"]
    assert overall["success_auc"] == best["score"] and math.isfinite(best["score"])
    # a checkpoint file as --tracker: its tracker_hp is the base of the knobs not searched, and it
    # cannot be its own --save-checkpoint destination
    again = tmp_path / "tuned_again.pt"
    result = tune_mod.tune(str(ckpt), "otb100", otb_root, tmp_path / "o2", SearchSpace({"lr": [0.3]}), partial=True,
                           sequences=["Crossing"], progress=False, save_checkpoint=again)
    assert result.ran == [f"k{best['penalty_k']:g}_w{best['window_influence']:g}_lr0.3"]
    assert read_checkpoint(again)["tracker_hp"] == {**summary["best_hp"], "lr": 0.3}
    # tuned in two stages: the second record is `tune`, the first is kept in `previous_tunes`
    def chain(extra: dict) -> list[dict]:
        return [*extra.get("previous_tunes", []), extra["tune"]] if "tune" in extra else []

    extra = read_checkpoint(again)["extra"]
    assert extra["tune"]["searched"] == ["lr"] and extra["tune"]["trials"] == 1
    assert extra["previous_tunes"] == chain(saved["extra"])
    assert saved["extra"]["tune"]["searched"] == sorted(summary["space"]["ranges"])
    assert saved["extra"].get("previous_tunes", []) == chain(read_checkpoint(src)["extra"])
    with pytest.raises(HromError, match="never modified"):
        tune_mod.tune(str(ckpt), "otb100", otb_root, tmp_path / "o3", SearchSpace({"lr": [0.4]}), partial=True,
                      progress=False, save_checkpoint=ckpt)


def test_start_nudges_score_each_trial_on_the_mean_of_its_runs(tuned, otb_root, tmp_path):
    """--start-nudges 1: every trial also runs from a nudged first box; its score is the report's
    mean over both runs (not the plain run's), and a search with another setting is refused."""
    from hrom.benchmarks import evaluate

    out = tmp_path / "out"
    code, stdout, err = _tune(otb_root, out, "--penalty-k", "0.3", "--window-influence", "0.6", "--lr", "0.4",
                              "--start-nudges", "1")
    assert code == 0, err
    trial = out / "trials" / "k0.3_w0.6_lr0.4"
    results = trial / "OTB100" / "k0.3_w0.6_lr0.4"
    assert sorted(p.name for p in (results / "Vase").iterdir()) == ["Vase_001.txt", "Vase_002.txt", "Vase_time.txt"]
    nudged = _journal(out)["k0.3_w0.6_lr0.4"]["score"]
    report = evaluate("otb100", otb_root, trial, trackers=["k0.3_w0.6_lr0.4"], partial=True)
    assert nudged == pytest.approx(report["trackers"]["k0.3_w0.6_lr0.4"]["overall"]["success_auc"], abs=1e-12)
    assert nudged != _journal(tuned)["k0.3_w0.6_lr0.4"]["score"]  # the plain run alone scores otherwise
    code, _, err = _tune(otb_root, out, "--penalty-k", "0.3", "--window-influence", "0.6", "--lr", "0.4")
    assert code == 2 and "holds another search" in err and "start_nudges" in err, err
