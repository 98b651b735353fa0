"""hrom as a TraX tracker, so the official VOT toolkit (``vot evaluate``) can run it.

The VOT toolkit starts a tracker process and talks TraX over its stdin/stdout: ``initialize``
(image + region), then ``frame`` (image) until ``quit``. This module is the tracker side for
any tracker :func:`hrom.tracking.create_tracker` builds (HROM checkpoints, the bundled weights,
OpenCV baselines)::

    python -m hrom.trax_server --tracker hrom --hp vot

It accepts rectangle and polygon regions and file-path or in-memory RGB images (the ``color``
channel), and starts the tracker on :func:`~hrom.benchmarks.sequence.vot_init_box` of the region,
the box ``hrom eval run --benchmark vot2018`` uses, so both routes track the same way. Replies are
rectangles with the tracker's ``confidence``. Requires ``vot-trax`` (``pip install vot-trax``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

from hrom.errors import HromError


def region_values(region) -> list[float]:
    """A TraX rectangle or polygon as ``[x, y, w, h]`` or ``[x1, y1, x2, y2, ...]``."""
    from trax import Region

    if region.type == Region.RECTANGLE:
        return [float(v) for v in region.bounds()]
    if region.type == Region.POLYGON:
        return [float(c) for point in region for c in point]
    raise HromError(f"TraX region of type {region.type!r}; expected a rectangle or a polygon")


def read_image(images: dict) -> np.ndarray:
    """The ``color`` channel as a BGR array (from a file path or an in-memory RGB image)."""
    import cv2
    from trax import Image

    img = images.get("color")
    if img is None:
        raise HromError(f"TraX frame without a color channel (got {sorted(images)}); expected RGB images")
    kind = img.type()  # a method on images (a property on regions)
    if kind == Image.PATH:
        frame = cv2.imread(img.path(), cv2.IMREAD_COLOR) if os.path.isfile(img.path()) else None
        if frame is None:
            raise HromError(f"{img.path()}: cannot read the image (missing or corrupt)")
        return frame
    if kind == Image.MEMORY:
        arr = img.array()
        return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR) if arr.shape[2] == 3 else cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    raise HromError(f"TraX image of type {kind!r}; expected a file path or a memory image")


def serve(tracker, name: str = "hrom") -> int:
    """Answer TraX requests with ``tracker`` (``init(image, box)`` / ``update(image)``) until quit."""
    from trax import Image, Region, Server, TraxStatus
    from trax import Rectangle as TraxRectangle

    from hrom.benchmarks.sequence import vot_init_box

    server = Server([Region.RECTANGLE, Region.POLYGON], [Image.PATH, Image.MEMORY], ["color"],
                    tracker_name=name, tracker_family="hrom")
    try:
        while True:
            request = server.wait()
            if request.type == TraxStatus.QUIT:
                break
            frame = read_image(request.image)
            if request.type == TraxStatus.INITIALIZE:
                if len(request.objects) != 1:
                    raise HromError(f"TraX initialize with {len(request.objects)} objects; hrom tracks one")
                region = request.objects[0][0]
                tracker.init(frame, vot_init_box(region_values(region)))
                server.status([(region, {})])
            else:
                x, y, w, h = (float(v) for v in tracker.update(frame))
                score = float(getattr(tracker, "score", float("nan")))
                props = {"confidence": f"{score:.6f}"} if math.isfinite(score) else {}
                server.status([(TraxRectangle.create(x, y, w, h), props)])
    except HromError as exc:
        server.quit(reason=str(exc))
        raise
    server.quit()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hrom.trax_server",
                                     description="Serve an hrom tracker over TraX (for the VOT toolkit).")
    parser.add_argument("--tracker", default="hrom",
                        help="hrom (bundled weights, default), a checkpoint, a model preset, kcf, csrt, mil, nano or vit")
    parser.add_argument("--hp", help="hyper-parameter set (e.g. vot) or YAML file; default: the checkpoint's own")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--backend", help="torch (default) or onnx")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch/OpenCV threads (default 1)")
    args = parser.parse_args(argv)
    # TraX owns fd 1: anything printed by Python goes to stderr (the toolkit logs it)
    sys.stdout = sys.stderr
    try:
        from hrom.procs import set_threads
        from hrom.tracking import create_tracker

        set_threads(args.threads)
        kwargs = {"device": args.device}
        if args.hp is not None:
            kwargs["hp"] = args.hp
        if args.backend is not None:
            kwargs["backend"] = args.backend
        tracker = create_tracker(args.tracker, **kwargs)
        try:
            import trax  # noqa: F401
        except ImportError:
            raise HromError("the TraX library is missing; pip install vot-trax") from None
        return serve(tracker, getattr(tracker, "name", "hrom"))
    except HromError as exc:
        print(f"hrom trax_server: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
