"""Scores from result files: OPE success / precision / normalized precision, GOT-10k AO / SR,
VOT accuracy / robustness / EAO. All frame-level work is vectorised with numpy.

OPE frame rules (:class:`OPERules`, named after the benchmark whose toolkit defines them):
- ``otb``  (GOT-10k toolkit, OTB): every frame counts; the first result box is replaced by the
  ground truth; per-sequence curves are averaged over sequences.
- ``uav``  (GOT-10k toolkit, UAV123): as ``otb`` but frames with NaN ground truth are dropped.
- ``lasot`` (LaSOT toolkit / pysot): frames where the target is absent (``full_occlusion`` or
  ``out_of_view``) never count, but every frame stays in the denominator; of the visible frames,
  one whose ground truth has no positive size can never count as a success, and one whose
  ground-truth centre is not positive always counts as precise (pysot's ``-1`` error quirk).

VOT overlaps use the pixel-grid raster of :mod:`hrom.benchmarks.raster` (``vot2018`` by default).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hrom.benchmarks.metrics import (NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS, box_iou,
                                     center_error, centers, normalized_center_error)
from hrom.benchmarks.protocols import VOT_BURNIN, VOT_SKIP
from hrom.benchmarks.raster import check_convention, region_overlaps
from hrom.benchmarks.results import find_ope_results, find_times, find_vot_results, read_box_file, read_vot_file
from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError

VOT2018_EAO_INTERVAL = (100, 356)


@dataclass(frozen=True)
class OPERules:
    """Which frames of a one-pass run count, and how (see the module doc)."""

    name: str
    first_box_is_gt: bool    # the first result box is replaced by the ground truth (GOT-10k toolkit)
    drop_unannotated: bool   # frames whose ground truth is NaN leave the sequence (UAV123)
    absent_never_count: bool  # absent frames count for no threshold, plus pysot's size / centre quirks (LaSOT)


OPE_RULES = {r.name: r for r in (
    OPERules("otb", first_box_is_gt=True, drop_unannotated=False, absent_never_count=False),
    OPERules("uav", first_box_is_gt=True, drop_unannotated=True, absent_never_count=False),
    OPERules("lasot", first_box_is_gt=False, drop_unannotated=False, absent_never_count=True),
)}


def ope_rules(rules: str | OPERules) -> OPERules:
    """The rules themselves, or the ones of that name (``otb``, ``uav``, ``lasot``)."""
    if isinstance(rules, OPERules):
        return rules
    if rules not in OPE_RULES:
        raise HromError(f"unknown OPE scoring rules {rules!r}; expected one of {', '.join(OPE_RULES)}")
    return OPE_RULES[rules]


def _fps(times: np.ndarray | None) -> float:
    if times is None:
        return -1.0
    t = times[np.isfinite(times) & (times > 0)]
    return float(np.mean(1.0 / t)) if len(t) else -1.0


def _load_pred(tracker_dir: Path, seq: Sequence) -> list[np.ndarray]:
    files = find_ope_results(tracker_dir, seq.name)
    if not files:
        raise HromError(f"{seq.name}: no result file in {tracker_dir} (expected {tracker_dir}/{seq.name}.txt)")
    return [read_box_file(f, len(seq)) for f in files]


def _per_sequence_curve(values: np.ndarray, thresholds: np.ndarray, seq_id: np.ndarray, n_seqs: int,
                        denom: np.ndarray, above: bool) -> np.ndarray:
    """Per-sequence fraction of frames with ``value > t`` (``above``) or ``value <= t`` for each
    threshold, in O(frames): each frame is binned once by ``searchsorted`` and the bins are
    accumulated; NaN values count for no threshold (as numpy comparisons do)."""
    T = len(thresholds)
    k = np.searchsorted(thresholds, values, side="left")  # thresholds strictly below the value
    nan = np.isnan(values)
    k[nan] = 0 if above else T
    hist = np.bincount(seq_id * (T + 1) + k, minlength=n_seqs * (T + 1)).reshape(n_seqs, T + 1)
    if above:  # value > t_j  <=>  j < k
        counts = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
    else:      # value <= t_j  <=>  j >= k
        counts = np.cumsum(hist, axis=1)[:, :T]
    return counts / np.maximum(denom, 1)[:, None]


def ope_curves(preds: list[np.ndarray], gts: list[np.ndarray], rules: str | OPERules = "otb",
               absent: list[np.ndarray | None] | None = None) -> dict[str, np.ndarray]:
    """Per-sequence success (S, 21), precision (S, 51) and normalized precision (S, 51) curves.

    ``absent`` (``lasot`` rules only): per sequence, True where the target is not visible; such
    frames count for no threshold but stay in the denominator (LaSOT toolkit, pysot)."""
    rules = ope_rules(rules)
    if not preds:
        z = np.zeros((0, 1))
        return {"success": z, "precision": z, "norm_precision": z}
    p_list, g_list, counts, denoms = [], [], [], []
    for p, g in zip(preds, gts):
        p = np.array(p, dtype=np.float64, copy=True)
        g = np.asarray(g, dtype=np.float64)
        if rules.first_box_is_gt:
            p[0] = g[0]
        if rules.drop_unannotated:
            valid = ~np.isnan(g).any(axis=1)
            p, g = p[valid], g[valid]
        p_list.append(p)
        g_list.append(g)
        counts.append(len(g))
        denoms.append(len(g))
    P, G = np.concatenate(p_list), np.concatenate(g_list)
    hidden = np.zeros(len(G), dtype=bool)
    if rules.absent_never_count and absent is not None:
        hidden = np.concatenate([np.zeros(len(g), bool) if a is None else np.asarray(a, bool)[: len(g)]
                                 for g, a in zip(g_list, absent)])
    counts = np.asarray(counts)
    denom = np.asarray(denoms)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if rules.absent_never_count:
            size_ok = (G[:, 2] > 0) & (G[:, 3] > 0)
            iou = np.where(size_ok, box_iou(P, G, eps=0.0), -1.0)
            centre_ok = np.all(centers(G) > 0, axis=1)
            ce = np.where(centre_ok, center_error(P, G), -1.0)
            nce = np.where(centre_ok, normalized_center_error(P, G), -1.0)
            iou[hidden], ce[hidden], nce[hidden] = np.nan, np.nan, np.nan  # never counted
        else:
            iou, ce, nce = box_iou(P, G), center_error(P, G), normalized_center_error(P, G)
        seq_id = np.repeat(np.arange(len(counts)), counts)
        S = len(counts)
        succ = _per_sequence_curve(iou, SUCCESS_THRESHOLDS, seq_id, S, denom, above=True)
        prec = _per_sequence_curve(ce, PRECISION_THRESHOLDS, seq_id, S, denom, above=False)
        nprec = _per_sequence_curve(nce, NORM_PRECISION_THRESHOLDS, seq_id, S, denom, above=False)
    return {"success": succ, "precision": prec, "norm_precision": nprec}


def summarise_curves(succ: np.ndarray, prec: np.ndarray, nprec: np.ndarray) -> dict:
    """Mean curves over sequences and their scores."""
    s, p, n = succ.mean(axis=0), prec.mean(axis=0), nprec.mean(axis=0)
    return {
        "success_auc": float(np.mean(s)),
        "success_rate_0.5": float(s[10]),
        "precision_20px": float(p[20]),
        "norm_precision": float(np.mean(n)),
        "norm_precision_0.2": float(n[20]),
        "success_curve": s.tolist(),
        "precision_curve": p.tolist(),
        "norm_precision_curve": n.tolist(),
    }


def score_ope(seqs: list[Sequence], tracker_dir: Path, rules: str | OPERules = "otb") -> dict:
    """Overall, per-sequence and per-attribute OPE scores of one tracker's result folder."""
    reps = [_load_pred(tracker_dir, s) for s in seqs]
    owner = np.repeat(np.arange(len(seqs)), [len(r) for r in reps])
    flat = ope_curves([p for r in reps for p in r], [seqs[i].boxes for i in owner], rules,
                      [seqs[i].absent for i in owner])
    counts = np.bincount(owner, minlength=len(seqs))[:, None]
    curves = {}  # repetitions are averaged per sequence
    for key, c in flat.items():
        total = np.zeros((len(seqs), c.shape[1]))
        np.add.at(total, owner, c)
        curves[key] = total / np.maximum(counts, 1)
    speeds = np.array([_fps(find_times(tracker_dir, s.name)) for s in seqs])
    overall = summarise_curves(curves["success"], curves["precision"], curves["norm_precision"])
    good = speeds > 0
    overall["fps"] = float(speeds[good].mean()) if good.any() else -1.0
    overall["sequences"] = len(seqs)
    per_seq = {}
    for i, s in enumerate(seqs):
        per_seq[s.name] = {"success_auc": float(curves["success"][i].mean()),
                           "precision_20px": float(curves["precision"][i][20]),
                           "norm_precision": float(curves["norm_precision"][i].mean()),
                           "fps": float(speeds[i]), "frames": len(s)}
    per_attr = {}
    attrs = sorted({a for s in seqs for a in s.attributes})
    for a in attrs:
        idx = [i for i, s in enumerate(seqs) if a in s.attributes]
        d = summarise_curves(curves["success"][idx], curves["precision"][idx], curves["norm_precision"][idx])
        d["sequences"] = len(idx)
        per_attr[a] = d
    return {"overall": overall, "per_sequence": per_seq, "per_attribute": per_attr}


# ---- GOT-10k ---------------------------------------------------------------------------------

def score_got10k(seqs: list[Sequence], tracker_dir: Path) -> dict:
    """AO, SR@0.5, SR@0.75 over frames 2.. with ``cover > 0`` (GOT-10k val, official toolkit)."""
    all_ious, all_times, per_seq = [], [], {}
    for s in seqs:
        reps = _load_pred(tracker_dir, s)
        gt = s.boxes[1:]
        if "cover" in s.tags:
            mask = s.tags["cover"][1:] > 0
        elif "absence" in s.tags:
            mask = s.tags["absence"][1:] == 0
        else:
            mask = ~np.isnan(gt).any(axis=1)
        bound = s.meta.get("resolution")
        ious = np.concatenate([box_iou(r[1:], gt, bound=bound)[mask] for r in reps])
        times = find_times(tracker_dir, s.name)
        fps = -1.0
        if times is not None:
            t = times[np.isfinite(times) & (times > 0)]
            all_times.append(t)
            fps = float(np.mean(1.0 / t)) if len(t) else -1.0
        all_ious.append(ious)
        per_seq[s.name] = {"ao": float(np.mean(ious)) if len(ious) else 0.0,
                           "sr_0.5": float(np.mean(ious > 0.5)) if len(ious) else 0.0,
                           "fps": fps, "frames": len(s)}
    ious = np.concatenate(all_ious) if all_ious else np.zeros(0)
    times = np.concatenate(all_times) if all_times else np.zeros(0)
    thr = np.linspace(0, 1, 101)
    overall = {
        "ao": float(np.mean(ious)), "sr_0.5": float(np.mean(ious > 0.5)), "sr_0.75": float(np.mean(ious > 0.75)),
        "fps": float(np.mean(1.0 / times)) if len(times) else -1.0,
        "success_curve": (np.count_nonzero(ious[:, None] > thr[None, :], axis=0) / max(len(ious), 1)).tolist(),
        "sequences": len(seqs),
    }
    return {"overall": overall, "per_sequence": per_seq, "per_attribute": {}}


# ---- VOT -------------------------------------------------------------------------------------

def _is_code(rec, code: int) -> bool:
    return len(rec) == 1 and rec[0] == code


def vot_overlaps(records: list[list[float]], gt_polys: np.ndarray, bound, burnin: int = 0,
                 overlap: str = "vot2018") -> np.ndarray:
    """Per-frame overlap of a baseline record with the ground truth; NaN on code frames and on
    the ``burnin`` frames starting at each (re)initialisation."""
    n = len(gt_polys)
    if len(records) != n:
        raise HromError(f"VOT record has {len(records)} lines for {n} frames; expected one line per frame")
    ov = region_overlaps([rec if len(rec) > 1 else None for rec in records], gt_polys, bound, overlap)
    if burnin > 0:
        for i, rec in enumerate(records):
            if _is_code(rec, 1):
                ov[i : i + burnin] = np.nan
    return ov


def expected_overlap_curve(overlaps: list[np.ndarray], failures: list[list[int]], weights: list[float],
                           skipping: int = VOT_SKIP) -> np.ndarray:
    """VOT expected-overlap curve Φ(Ns), Ns = 1..max length (pysot's fragment construction).

    Each run is cut at its re-initialisation points (failure + ``skipping``); a fragment that ends
    in a failure is padded with zeros to the longest sequence, the last fragment with NaN (unknown).
    Φ(Ns) averages, over fragments at least Ns long, the mean overlap of frames 2..Ns.
    """
    max_len = max(len(o) for o in overlaps)
    rows, ws = [], []
    for ov, fails, w in zip(overlaps, failures, weights):
        ov = np.asarray(ov, dtype=np.float64)
        points = [0] + [f + skipping for f in fails if f + skipping <= len(ov)]
        for k, start in enumerate(points):
            row = np.full(max_len, np.nan)
            if k < len(points) - 1:
                frag = np.nan_to_num(ov[start : points[k + 1] + 1], nan=0.0)
                row[:] = 0.0
            elif len(points) > 1:
                frag = np.nan_to_num(ov[start:], nan=0.0)
            else:
                frag = ov
            row[: len(frag)] = frag
            rows.append(row)
            ws.append(w)
    F = np.asarray(rows)
    W = np.asarray(ws)
    curve = np.zeros(max_len)
    curve[0] = 1.0
    if max_len > 1:
        body = F[:, 1:]
        valid = ~np.isnan(body)
        means = np.cumsum(np.nan_to_num(body), axis=1) / np.arange(1, max_len)[None, :]
        wv = W[:, None] * valid
        den = wv.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            curve[1:] = np.where(den > 0, (means * wv).sum(axis=0) / np.where(den > 0, den, 1), 0.0)
    return curve


def eao_from_curve(curve: np.ndarray, interval=VOT2018_EAO_INTERVAL) -> float:
    lo, hi = interval
    seg = curve[lo - 1 : hi]
    seg = seg[~np.isnan(seg)]
    return float(seg.mean()) if len(seg) else 0.0


def _image_size(seq: Sequence) -> tuple[int, int]:
    if "size" in seq.meta:
        return seq.meta["size"]
    import cv2

    img = cv2.imread(str(seq.frames[0]), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise HromError(f"{seq.frames[0]}: cannot read the image; needed for the image bound of the VOT overlap")
    return img.shape[1], img.shape[0]


def score_vot(seqs: list[Sequence], tracker_dir: Path, interval=VOT2018_EAO_INTERVAL, overlap: str = "vot2018") -> dict:
    """VOT baseline: accuracy (mean overlap without the 10 burn-in frames, pooled over frames),
    robustness (failures per 100 frames, pysot's VOT2018 figure), lost number, EAO.

    ``overlap``: ``vot2018`` (pysot's calls of the VOT2018 region library: bound (W, H) for
    accuracy, (W - 1, H - 1) for EAO), ``vot-toolkit`` (bound = image size for both) or ``exact``."""
    check_convention(overlap)
    acc_frames, fail_per_rep, lengths = [], [], 0
    eao_ov, eao_fail, eao_w, per_seq, times_all = [], [], [], {}, []
    tag_names = sorted({t for s in seqs for t in s.tags})
    tag_ov = {t: [] for t in tag_names + ["empty"]}
    tag_fail = {t: 0.0 for t in tag_names + ["empty"]}
    for s in seqs:
        files = find_vot_results(tracker_dir, s.name)
        if not files:
            raise HromError(f"{s.name}: no VOT result in {tracker_dir}/baseline/{s.name}/ (expected {s.name}_001.txt)")
        W, H = _image_size(s)
        polys = s.meta.get("vot_regions", s.polygons if s.polygons is not None else s.boxes)
        eao_bound = (W, H) if overlap == "vot-toolkit" else (W - 1, H - 1)
        recs = [read_vot_file(f) for f in files]
        for f, r in zip(files, recs):
            if len(r) != len(s):
                raise HromError(f"{f}: {len(r)} lines for {len(s)} frames; expected one line per frame")
        acc = np.vstack([vot_overlaps(r, polys, (W, H), burnin=VOT_BURNIN, overlap=overlap) for r in recs])
        fails = [[i for i, x in enumerate(r) if _is_code(x, 2)] for r in recs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            acc_mean = np.nanmean(acc, axis=0)
        acc_frames.append(acc_mean)
        fail_per_rep.append([len(f) for f in fails])
        lengths += len(s)
        for r, fl in zip(recs, fails):
            eao_ov.append(vot_overlaps(r, polys, eao_bound, overlap=overlap))
            eao_fail.append(fl)
            eao_w.append(1.0 / len(recs))
        fail_mask = np.zeros(len(s))
        for fl in fails:
            fail_mask[fl] += 1.0 / len(recs)
        any_tag = np.zeros(len(s), bool)
        for t in tag_names:
            m = s.tags.get(t, np.zeros(len(s), bool))
            any_tag |= m
            tag_ov[t].append(acc_mean[m])
            tag_fail[t] += float(fail_mask[m].sum())
        tag_ov["empty"].append(acc_mean[~any_tag])
        tag_fail["empty"] += float(fail_mask[~any_tag].sum())
        times = find_times(tracker_dir, s.name)
        if times is not None:
            times_all.append(times)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            per_seq[s.name] = {"accuracy": float(np.nan_to_num(np.nanmean(acc_mean))),
                               "failures": float(np.mean([len(f) for f in fails])), "frames": len(s),
                               "fps": _fps(times)}
    n_reps = min(len(f) for f in fail_per_rep)
    totals = np.sum([f[:n_reps] for f in fail_per_rep], axis=0)
    allacc = np.concatenate(acc_frames)
    curve = expected_overlap_curve(eao_ov, eao_fail, eao_w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        overall = {
            "accuracy": float(np.nanmean(allacc)),
            "robustness": float(np.mean(totals / lengths) * 100),
            "lost_number": float(np.mean(totals)),
            "eao": eao_from_curve(curve, interval),
            "eao_interval": list(interval),
            "overlap": overlap,
            "eao_curve": curve.tolist(),
            "fps": _fps(np.concatenate(times_all)) if times_all else -1.0,
            "sequences": len(seqs),
        }
        per_tag = {t: {"accuracy": float(np.nan_to_num(np.nanmean(np.concatenate(tag_ov[t])))) if tag_ov[t] else 0.0,
                       "failures": tag_fail[t], "frames": int(sum(len(x) for x in tag_ov[t]))}
                   for t in tag_ov}
    return {"overall": overall, "per_sequence": per_seq, "per_attribute": per_tag}
