"""``hrom track SOURCE --box x,y,w,h``: run a tracker on a video, an image folder or a glob.

Writes one ``x,y,w,h`` line per frame (the first is the given box; ``--scores`` adds the
confidence as a 5th column) and optionally an annotated video.  Outputs are written to temporary
files and renamed at the end (``hrom.io``), so an error or Ctrl-C never leaves a half-written
result.  The tracking loop is ``hrom.tracking.track_stream``; this module checks the options and
formats what it yields.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path

from hrom.procs import DEFAULT_THREADS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "track", help="track one object through a video, an image folder or a glob of images",
        description="Track the object in --box through SOURCE (a video file, a folder of images sorted "
                    "naturally, or a glob such as 'frames/*.jpg'). Prints a summary; writes boxes with --out "
                    "and an annotated video with --video.")
    p.add_argument("source", metavar="SOURCE", help="video file, image folder, or glob pattern (quote it)")
    box = p.add_mutually_exclusive_group(required=True)
    box.add_argument("--box", metavar="X,Y,W,H", help="the target in the first tracked frame (0-based pixels)")
    box.add_argument("--box-file", metavar="FILE", help="read X,Y,W,H from the first line of FILE (e.g. groundtruth_rect.txt)")
    p.add_argument("--model", metavar="CHECKPOINT_OR_PRESET", default=None,
                   help="hrom checkpoint, model preset (e.g. hrom-w18, untrained), pretrained weights "
                        "(hrom-tiny.bundled, alias hrom) or OpenCV tracker (kcf, csrt, mil, nano, vit); "
                        "default: the bundled HROM weights")
    p.add_argument("--hp", metavar="NAME_OR_YAML", default=None,
                   help="tracker hyper-parameters: default, vot, otb, uav, lasot, got10k, or a YAML file "
                        "(default: the checkpoint's own, else 'default')")
    p.add_argument("--out", metavar="BOXES.txt", help="write one x,y,w,h line per frame")
    p.add_argument("--scores", action="store_true", help="add the tracker's confidence as a 5th column to --out")
    p.add_argument("--video", metavar="ANNOTATED.mp4", help="write the frames with the box and score drawn (mp4v)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    p.add_argument("--backend", default="torch", help="network runtime (default: torch)")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, metavar="N",
                   help=f"CPU threads for the network and OpenCV (default {DEFAULT_THREADS}: two or more run 5-25x "
                        "slower as soon as another job uses a core; 0: the runtime's default, all cores)")
    p.add_argument("--start-frame", type=int, default=0, metavar="N",
                   help="0-based index of the first frame to track; the box refers to that frame (default 0)")
    p.add_argument("--max-frames", type=int, default=None, metavar="N", help="stop after N frames")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"


def parse_box(text: str, where: str) -> list[float]:
    """Four numbers separated by commas, spaces or tabs; anything else is a HromError."""
    from hrom.errors import HromError

    parts = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    if len(parts) != 4 or not all(re.fullmatch(_NUM, t, flags=re.IGNORECASE) for t in parts):
        raise HromError(f"{where}: expected x,y,w,h (four numbers), got {text.strip()!r}")
    return [float(t) for t in parts]


def read_box_file(path: str) -> list[float]:
    from hrom.errors import HromError

    p = Path(path)
    if not p.is_file():
        raise HromError(f"{p}: box file not found (expected a text file whose first line is x,y,w,h)")
    try:
        lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise HromError(f"{p}: cannot read box file ({type(exc).__name__})") from None
    if not lines:
        raise HromError(f"{p}: box file is empty (expected x,y,w,h on the first line)")
    return parse_box(lines[0], f"{p} line 1")


def _draw(frame, box, score, name: str) -> None:
    import cv2

    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(frame, (x, y), (x + w, y + h), (0, 255, 0), 2)
    label = name if math.isnan(score) else f"{name} {score:.2f}"
    cv2.putText(frame, label, (max(0, x), max(14, y - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 255, 0), 1, cv2.LINE_AA)


@contextmanager
def _video_writer(path: str | None, fps: float, size: tuple[int, int]):
    """An mp4v writer into a temp file that becomes ``path`` when the block succeeds (None: no video)."""
    if not path:
        yield None
        return
    import cv2

    from hrom.errors import HromError
    from hrom.io import atomic_output

    with atomic_output(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), size)
        try:
            if not writer.isOpened():
                raise HromError(f"{path}: cannot write a video here (use a .mp4 or .avi path)")
            yield writer
        finally:
            writer.release()


def _write_frame(writer, step, size: tuple[int, int], where: str, name: str) -> None:
    """The frame with its box drawn, into the one video (frames must keep the first one's size)."""
    from hrom.errors import HromError

    if step.frame.shape[:2] != (size[1], size[0]):
        raise HromError(f"{where}: frame size {step.frame.shape[1]}x{step.frame.shape[0]} differs from the first "
                        f"frame's {size[0]}x{size[1]}; cannot write one video (drop --video)")
    _draw(step.frame, step.box, step.score, name)
    writer.write(step.frame)


def _check_options(args: argparse.Namespace) -> list[float]:
    """Everything checkable before any work: the box, numbers, output paths, bundled weights."""
    from hrom.errors import HromError
    from hrom.io import check_writable_file
    from hrom.models.pretrained import PRETRAINED, canonical, pretrained_file
    from hrom.tracking.frames import check_box

    box = parse_box(args.box, "--box") if args.box is not None else read_box_file(args.box_file)
    check_box(box, where="--box")
    if args.start_frame < 0:
        raise HromError(f"--start-frame: must be >= 0, got {args.start_frame}")
    if args.max_frames is not None and args.max_frames < 1:
        raise HromError(f"--max-frames: must be >= 1, got {args.max_frames}")
    if args.threads < 0:
        raise HromError(f"--threads: must be >= 0, got {args.threads}")
    for opt, value in (("--out", args.out), ("--video", args.video)):
        if value:
            check_writable_file(value, opt)
    if canonical(_model(args)) in PRETRAINED:
        pretrained_file(_model(args))  # says clearly that these weights are not shipped, before any work
    return box


def _model(args: argparse.Namespace) -> str:
    return args.model if args.model is not None else "hrom"


def _open_frames(args: argparse.Namespace, box: list[float]):
    """(source, frame iterator from --start-frame, its first frame), the box checked against it."""
    from hrom.errors import HromError
    from hrom.tracking.frames import check_box
    from hrom.tracking.sources import open_source

    source = open_source(args.source)
    if len(source) and args.start_frame >= len(source):
        raise HromError(f"--start-frame {args.start_frame}: {args.source} has only {len(source)} frames")
    frames = source.frames(args.start_frame)
    first = next(frames, None)
    if first is None:
        raise HromError(f"--start-frame {args.start_frame}: {args.source} ended before that frame")
    height, width = first.shape[:2]
    check_box(box, (width, height), where=f"--box (frame {args.start_frame}, {width}x{height})")
    return source, frames, first


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hrom.io import atomic_write_text
    from hrom.procs import set_threads
    from hrom.tracking import create_tracker, track_stream

    box = _check_options(args)
    set_threads(args.threads)
    source, frames, first = _open_frames(args, box)
    height, width = first.shape[:2]
    tracker = create_tracker(_model(args), device=args.device, hp=args.hp, backend=args.backend)

    total = (len(source) - args.start_frame) if len(source) else None
    if args.max_frames is not None:
        total = min(total, args.max_frames) if total else args.max_frames
    lines: list[str] = []
    t_track, index = 0.0, args.start_frame
    t_start = time.perf_counter()
    with _video_writer(args.video, source.fps, (width, height)) as writer, \
            tqdm(total=total, unit="frame", desc=tracker.name, disable=True if args.quiet else None,
                 file=sys.stderr, leave=False) as bar:
        for step in track_stream(tracker, islice(chain([first], frames), args.max_frames), box, args.start_frame):
            line = ",".join(f"{v:.3f}" for v in step.box)
            lines.append(f"{line},{step.score:.4f}" if args.scores else line)
            if writer is not None:
                _write_frame(writer, step, (width, height), source.frame_name(step.index), tracker.name)
            t_track += step.seconds
            index = step.index + 1
            bar.update(1)
    elapsed = time.perf_counter() - t_start
    if args.out:
        atomic_write_text(args.out, "\n".join(lines) + "\n")
    _summary(args, source, tracker.name, len(lines), index, t_track, elapsed)
    return 0


def _summary(args: argparse.Namespace, source, name: str, n: int, index: int, t_track: float, elapsed: float) -> None:
    if len(source) and not args.max_frames and index < len(source):
        print(f"hrom track: warning: {args.source} ended at frame {index}, its header says {len(source)} frames",
              file=sys.stderr)
    fps_track = n / t_track if t_track > 0 else float("inf")
    print(f"tracked {n} frames of {args.source} with {name} in {elapsed:.1f} s: "
          f"{fps_track:.1f} fps tracker, {n / elapsed:.1f} fps overall (decode + tracking + writing)")
    print(f"boxes: {args.out}" if args.out else "boxes: not written (use --out FILE)")
    if args.video:
        print(f"annotated video: {args.video}")
