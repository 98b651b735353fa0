"""``hrom data prepare``: any training source -> a crop cache in pysot's layout, once.

Training then reads one small JPEG per sample instead of decoding a 1080p frame or seeking in a
video.  For each source the cache folder holds::

    <out>/<source>/crop511/<video>/<frame:06d>.<track:02d>.x.jpg   511x511, target centred
    <out>/<source>/train.json     {video: {track: {frame: [x1, y1, x2, y2]}}} (original-image boxes)
    <out>/<source>/prepare.json   the settings it was made with
    <out>/<source>/progress.jsonl one line per finished video (what a resumed run skips)

which the ``pysot`` source type reads (``{type: pysot, root: <out>/<source>}``).  A crop is cut
at the scale that maps the target's context square to 127 pixels, exactly as pysot's
``par_crop.py`` and :meth:`hrom.data.dataset.TrackingPairDataset._frame` do.

Videos are processed in parallel; each worker streams one video at a time (its frames in order,
each frame decoded once for all its tracks), so memory does not grow with the source.  A video is
committed by its line in ``progress.jsonl``; an interrupted run is resumed by running the same
command again, and ``train.json`` is written (atomically) only when every video is done.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from tqdm import tqdm

from hrom.config import to_dict
from hrom.data.config import SourceConfig
from hrom.geometry import crop_transform, mean_color, warp_crop
from hrom.data.sources import load_source
from hrom.data.tracks import TrackSet
from hrom.errors import HromError
from hrom.io import atomic_write_text, check_writable_dir


@dataclass
class PrepareConfig:
    """What ``hrom data prepare`` does (YAML with a ``sources:`` list, as in a training config)."""

    sources: list[SourceConfig] = field(default_factory=list)
    crop_size: int = 511
    exemplar_size: int = 127
    context_amount: float = 0.5
    frame_step: int = 1  # keep every N-th annotated frame of a track (video: neighbours are near-duplicates)
    quality: int = 90  # JPEG quality of the crops
    workers: int = 2

    def validate(self) -> PrepareConfig:
        if not self.sources:
            raise HromError("data prepare: no source given; use --type/--root or a config with a sources: list")
        for i, src in enumerate(self.sources):
            if src.type in ("pysot", "synthetic"):
                raise HromError(f"sources[{i}]: type {src.type!r} needs no preparing")
        labels = [s.label for s in self.sources]
        if len(set(labels)) != len(labels):
            raise HromError(f"sources: duplicate names {labels}; give each source a distinct 'name'")
        if self.crop_size < self.exemplar_size or self.frame_step < 1 or not 1 <= self.quality <= 100:
            raise HromError("data prepare: need crop_size >= exemplar_size, frame_step >= 1, quality in 1..100")
        if self.workers < 0:
            raise HromError(f"data prepare: workers must be >= 0, got {self.workers}")
        return self


def video_key(tracks: TrackSet, v: int) -> str:
    """A readable, unique folder name for video ``v``: its index and its folder (or image) name."""
    first = tracks.video_tracks(v).start
    base = os.path.basename(tracks.video_dirs[v].rstrip("/"))
    if tracks.track_length(first) == 1 and all(tracks.track_length(t) == 1 for t in tracks.video_tracks(v)):
        base = Path(tracks.frame_path(first, 0)).stem  # a still image: its own name
    return f"{v:06d}_{re.sub(r'[^A-Za-z0-9._-]+', '_', base)[:60]}"


# -- worker side -----------------------------------------------------------------------------
_W: dict = {}


def _init_worker(tracks: TrackSet, out: str, cfg: PrepareConfig, skip_bad: bool) -> None:
    from hrom.procs import die_with_parent

    die_with_parent()
    cv2.setNumThreads(1)
    _W.update(tracks=tracks, out=out, cfg=cfg, skip_bad=skip_bad)


def _prepare_video(v: int) -> tuple[int, str, dict, int, list[str]]:
    """Crop every kept frame of every track of video ``v``: (v, key, json entry, crops, bad frames)."""
    tracks: TrackSet = _W["tracks"]
    cfg: PrepareConfig = _W["cfg"]
    key = video_key(tracks, v)
    folder = Path(_W["out"]) / f"crop{cfg.crop_size}" / key
    todo = []  # (path, frame id, track index in video, box), frames in order so videos decode forward
    for ti, t in enumerate(tracks.video_tracks(v)):
        fids = tracks.track_frame_ids(t)
        for j in range(0, len(fids), cfg.frame_step):
            todo.append((tracks.frame_path(t, j), int(fids[j]), ti, tracks.frame_box(t, j)))
    todo.sort(key=lambda r: (r[1], r[2]))
    entry: dict[str, dict[str, list[float]]] = {}
    bad: list[str] = []
    image, image_path = None, None
    folder.mkdir(parents=True, exist_ok=True)
    for path, fid, ti, box in todo:
        if path != image_path:
            image_path = path
            try:
                image = tracks.read_image(path)
            except HromError as exc:
                if not _W["skip_bad"]:
                    raise
                image = None
                bad.append(str(exc))
        if image is None:
            continue
        m, _ = crop_transform(box, cfg.crop_size, cfg.exemplar_size, cfg.context_amount)
        crop = warp_crop(image, m, cfg.crop_size, mean_color(image))
        ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, cfg.quality])
        if not ok:  # pragma: no cover - encoding a uint8 BGR array does not fail
            raise HromError(f"{path}: could not encode its crop")
        (folder / f"{fid:06d}.{ti:02d}.x.jpg").write_bytes(buf.tobytes())
        x, y, w, h = (float(c) for c in box)
        entry.setdefault(f"{ti:02d}", {})[f"{fid:06d}"] = [x, y, x + w, y + h]
    return v, key, entry, sum(len(e) for e in entry.values()), bad


# -- main side -------------------------------------------------------------------------------
def _settings(src: SourceConfig, cfg: PrepareConfig) -> dict:
    return {"source": to_dict(src), "crop_size": cfg.crop_size, "exemplar_size": cfg.exemplar_size,
            "context_amount": cfg.context_amount, "frame_step": cfg.frame_step, "quality": cfg.quality}


def _read_progress(path: Path) -> dict[int, tuple[str, dict]]:
    """Finished videos of an earlier run (a torn last line, from a kill, is ignored)."""
    done: dict[int, tuple[str, dict]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
                done[int(rec["video"])] = (rec["key"], rec["tracks"])
            except (ValueError, KeyError, TypeError):
                continue
    return done


def prepare_source(src: SourceConfig, cfg: PrepareConfig, out: Path, progress: bool = True,
                   log=print) -> dict:
    """Build (or finish) the crop cache of one source under ``out``; returns a summary dict."""
    settings = _settings(src, cfg)
    manifest = out / "prepare.json"
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text())
        except ValueError:
            old = None
        if old != settings:
            raise HromError(f"{manifest}: this folder was prepared with other settings; give another --out "
                            "or delete the folder to start over")
    tracks = load_source(src)
    if tracks.skipped:
        log(tracks.skipped)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(manifest, json.dumps(settings, indent=1) + "\n")
    journal = out / "progress.jsonl"
    done = _read_progress(journal)
    todo = [v for v in range(tracks.num_videos) if v not in done]
    per_video = [sum(len(range(0, tracks.track_length(t), cfg.frame_step)) for t in tracks.video_tracks(v))
                 for v in range(tracks.num_videos)]
    bar = tqdm(total=sum(per_video), initial=sum(per_video) - sum(per_video[v] for v in todo), unit="crop",
               desc=f"preparing {src.label}", disable=None if progress else True, dynamic_ncols=True)
    bad_frames: list[str] = []
    args = (tracks, str(out), cfg, src.skip_bad)
    try:
        with open(journal, "a") as jf:
            def commit(result) -> None:
                v, key, entry, n, bad = result
                jf.write(json.dumps({"video": v, "key": key, "tracks": entry}) + "\n")
                jf.flush()
                done[v] = (key, entry)
                bad_frames.extend(bad)
                bar.update(per_video[v])

            if cfg.workers <= 1 or len(todo) <= 1:
                _W.update(tracks=tracks, out=str(out), cfg=cfg, skip_bad=src.skip_bad)
                for v in todo:
                    commit(_prepare_video(v))
            else:
                ctx = mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
                with ctx.Pool(cfg.workers, initializer=_init_worker, initargs=args) as pool:
                    for result in pool.imap_unordered(_prepare_video, todo, chunksize=1):
                        commit(result)
    finally:
        bar.close()
    anno = {done[v][0]: done[v][1] for v in sorted(done) if done[v][1]}
    atomic_write_text(out / "train.json", json.dumps(anno))
    if bad_frames:
        log(f"{src.label}: skipped {len(bad_frames)} unreadable frames (first: {bad_frames[0]})")
    crops = sum(len(f) for tr in anno.values() for f in tr.values())
    return {"source": src.label, "videos": len(anno), "tracks": sum(len(tr) for tr in anno.values()),
            "crops": crops, "folder": str(out)}


def prepare(cfg: PrepareConfig, out: str | Path, progress: bool = True, log=print) -> list[dict]:
    """Prepare every source of ``cfg`` into ``out/<source name>/``."""
    cfg.validate()
    out = check_writable_dir(out, "--out")
    return [prepare_source(src, cfg, Path(out) / src.label, progress, log) for src in cfg.sources]

