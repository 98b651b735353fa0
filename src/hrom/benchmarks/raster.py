"""VOT region overlap on the pixel grid, the way the VOT toolkits compute it.

Published VOT numbers do not use the geometric IoU of two polygons: both regions are drawn on
the pixel grid (scan-line fill of the rounded vertices, clipped to the image) and pixels are
counted. Two conventions are in use and they differ by whole pixel rows and columns:

- ``vot2018``: the region library of the VOT2018-era toolkits, as pysot's toolkit calls it
  (which reproduces the VOT2018 tables). A box ``x, y, w, h`` is the polygon with corners at
  ``x`` and ``x + w``, and both edges are filled: ``[0, 0, 10, 10]`` covers 11 x 11 pixels, so
  ``[0,0,10,10]`` vs ``[5,5,10,10]`` is 36 / 206. Vertices are rounded half away from zero
  after moving them to the mask origin; a region's bounds are floored/ceiled and clipped to
  ``[0, W] x [0, H]`` (the bound given); regions whose clipped bounds only touch give 0.
- ``vot-toolkit``: the Python VOT toolkit (``vot-toolkit`` 0.9, ``vot.region.raster``). Boxes
  cover ``w`` pixels (``x .. x + w - 1``), coordinates are rounded half to even first, the
  raster is clipped to ``[0, W - 1] x [0, H - 1]``; the pair above gives 25 / 175.

Everything is vectorised over frames and mask rows (one scan line per row, one span per row
in the usual case), so scoring a whole sequence costs a handful of numpy calls.
"""

from __future__ import annotations

import numpy as np

_BIG = np.float64(2 ** 60)


def round_half_away(v: np.ndarray) -> np.ndarray:
    """C ``round``: halves go away from zero (numpy's ``round`` goes to even)."""
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _spans(pts: np.ndarray, heights: np.ndarray, widths: np.ndarray, rule: str):
    """Scan-line spans of integer-vertex polygons ``pts`` (M, n, 2), one mask per polygon of
    ``heights[m]`` rows and ``widths[m]`` columns. Returns (frame of each row, lo, hi, has)
    with up to ``n // 2 + 1`` filled spans ``[lo, hi]`` (inclusive) per row.

    ``rule`` ``vot2018``: horizontal edges give no crossing; of two equal crossings the first
    is dropped. ``vot-toolkit``: a horizontal edge on the row adds its start vertex; equal
    crossings are merged unless they are the last pair; the row stops at a crossing past the mask.
    """
    M, n, _ = pts.shape
    heights = np.maximum(heights, 0).astype(np.int64)
    R = int(heights.sum())
    K = n // 2 + 1
    frame = np.repeat(np.arange(M), heights)
    Y = (np.arange(R) - np.repeat(np.cumsum(heights) - heights, heights)).astype(np.float64)[:, None]
    xi, yi = pts[frame, :, 0], pts[frame, :, 1]
    nxt = np.roll(pts, 1, axis=1)  # edge i runs from vertex i-1 to vertex i, as the C loop does
    xj, yj = nxt[frame, :, 0], nxt[frame, :, 1]
    r, k = yj - yi, xj - xi
    horiz = r == 0
    span = (np.minimum(yi, yj) <= Y) & (Y <= np.maximum(yi, yj))
    with np.errstate(invalid="ignore", divide="ignore"):
        node = np.trunc(xi + (Y - yi) / np.where(horiz, 1.0, r) * k)
    if rule == "vot-toolkit":
        node = np.where(horiz, xi, node)
        valid = span
    else:
        valid = span & ~horiz
    nodes = np.sort(np.where(valid, node, _BIG), axis=1)
    count = valid.sum(axis=1)
    width = widths[frame].astype(np.float64)
    lo, hi = np.zeros((R, K)), np.zeros((R, K))
    has = np.zeros((R, K), dtype=bool)
    rows = np.arange(R)
    i = np.zeros(R, dtype=np.int64)
    nrec = np.zeros(R, dtype=np.int64)
    alive = np.ones(R, dtype=bool)
    for _ in range(n):
        act = alive & (i < count - 1)
        if not act.any():
            break
        a = nodes[rows, np.minimum(i, n - 1)]
        b = nodes[rows, np.minimum(i + 1, n - 1)]
        if rule == "vot-toolkit":
            stop = act & (a >= width)
            act = act & ~stop
            skip = act & (a == b) & (i < count - 2)
        else:
            skip = act & (a == b)
            stop = act & ~skip & (a >= width)
            act = act & ~stop
        alive &= ~stop
        go = act & ~skip
        fill = go & (b >= 0)
        sel = rows[fill]
        slot = nrec[fill]
        lo[sel, slot] = np.maximum(a[fill], 0)
        hi[sel, slot] = np.minimum(b[fill], width[fill] - 1)
        has[sel, slot] = True
        nrec[fill] += 1
        i = i + skip + 2 * go
    return frame, lo, hi, has


def _count(frame: np.ndarray, M: int, widths: np.ndarray, s1, s2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-mask pixel counts (area 1, area 2, intersection) from the row spans of both regions."""
    _, lo1, hi1, has1 = s1
    _, lo2, hi2, has2 = s2
    n1, n2 = has1.sum(1), has2.sum(1)
    simple = (n1 <= 1) & (n2 <= 1)
    # one span per row (the usual case): lengths and the overlap of two intervals
    len1 = np.where(has1[:, 0], hi1[:, 0] - lo1[:, 0] + 1, 0.0)
    len2 = np.where(has2[:, 0], hi2[:, 0] - lo2[:, 0] + 1, 0.0)
    both = has1[:, 0] & has2[:, 0]
    inter = np.where(both, np.maximum(0.0, np.minimum(hi1[:, 0], hi2[:, 0]) - np.maximum(lo1[:, 0], lo2[:, 0]) + 1), 0.0)
    if not simple.all():  # several spans in a row: count those rows on a dense row mask
        bad = np.flatnonzero(~simple)
        cols = np.arange(int(widths[frame[bad]].max()))[None, :, None]

        def cover(lo, hi, has):
            return ((cols >= lo[bad][:, None, :]) & (cols <= hi[bad][:, None, :]) & has[bad][:, None, :]).any(axis=2)

        c1, c2 = cover(lo1, hi1, has1), cover(lo2, hi2, has2)
        len1[bad], len2[bad], inter[bad] = c1.sum(1), c2.sum(1), (c1 & c2).sum(1)
    area1 = np.bincount(frame, weights=len1, minlength=M)
    area2 = np.bincount(frame, weights=len2, minlength=M)
    both_area = np.bincount(frame, weights=inter, minlength=M)
    return area1, area2, both_area


def _as_polygons(regions: np.ndarray) -> np.ndarray:
    """(N, 4) boxes -> (N, 4, 2) corners at x and x + w (sums in float64, as pysot builds them);
    (N, 2k) polygons -> (N, k, 2)."""
    r = np.asarray(regions, dtype=np.float64)
    if r.shape[1] == 4:
        x, y, w, h = r.T
        return np.stack([np.stack([x, y], 1), np.stack([x + w, y], 1), np.stack([x + w, y + h], 1),
                         np.stack([x, y + h], 1)], axis=1)
    return r.reshape(len(r), -1, 2)


def overlaps_vot2018(a: np.ndarray, b: np.ndarray, bound) -> np.ndarray:
    """Overlap of row-matched regions (boxes or polygons) with the VOT2018 region library's
    raster, float32 arithmetic as in the C code; ``bound`` = (W, H) clips to ``[0, W] x [0, H]``."""
    f32 = np.float32
    P1 = _as_polygons(a).astype(f32)
    P2 = _as_polygons(b).astype(f32)
    N = len(P1)
    if bound is None:
        lim = np.finfo(f32)
        bl, bt, br, bb = f32(-lim.max), f32(-lim.max), f32(lim.max), f32(lim.max)
    else:
        bl, bt, br, bb = f32(0), f32(0), f32(bound[0]), f32(bound[1])

    def clipped_bounds(P):
        return (np.maximum(np.floor(P[:, :, 0].min(1)), bl), np.maximum(np.floor(P[:, :, 1].min(1)), bt),
                np.minimum(np.ceil(P[:, :, 0].max(1)), br), np.minimum(np.ceil(P[:, :, 1].max(1)), bb))

    l1, t1, r1, b1 = clipped_bounds(P1)
    l2, t2, r2, b2 = clipped_bounds(P2)
    x, y = np.minimum(l1, l2), np.minimum(t1, t2)
    width = np.trunc(np.maximum(r1, r2) - x).astype(np.int64) + 1
    height = np.trunc(np.maximum(b1, b2) - y).astype(np.int64) + 1
    A1, A2 = (r1 - l1) * (b1 - t1), (r2 - l2) * (b2 - t2)  # float32, as the C code
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a1, a2 = A1.astype(np.float64), A2.astype(np.float64)
        out = (a1 / a2 < 1e-10) | (a2 / a1 < 1e-10) | (width < 1) | (height < 1)
        ib = (np.minimum(r1, r2) - np.maximum(l1, l2)) * (np.minimum(b1, b2) - np.maximum(t1, t2))
        ratio = ib / (A1 + A2 - ib)
        out |= (ratio < 0) | (ratio == 0)  # bounds that do not overlap (or only touch): 0
    result = np.zeros(N)
    go = np.flatnonzero(~out)
    if len(go):
        origin = np.stack([x[go], y[go]], axis=1)[:, None, :]
        q1 = round_half_away((P1[go] + (-origin)).astype(f32))
        q2 = round_half_away((P2[go] + (-origin)).astype(f32))
        w, h = width[go], height[go]
        s1, s2 = _spans(q1, h, w, "vot2018"), _spans(q2, h, w, "vot2018")
        area1, area2, inter = _count(s1[0], len(go), w, s1, s2)
        with np.errstate(invalid="ignore", divide="ignore"):
            ov = (inter.astype(f32) / (area1 + area2 - inter).astype(f32)).astype(np.float64)
        result[go] = np.nan_to_num(ov, nan=0.0)
    return result


def _toolkit_bounds(r: np.ndarray, is_rect: bool):
    if is_rect:
        x, y, w, h = r.T
        return x, y, x + w - 1, y + h - 1
    return r[:, 0::2].min(1), r[:, 1::2].min(1), r[:, 0::2].max(1), r[:, 1::2].max(1)


def _rect_spans(r: np.ndarray, rb: tuple, heights: np.ndarray, widths: np.ndarray):
    """Spans of ``vot.region.raster.rasterize_rectangle`` (numpy slice semantics included)."""
    x, y, w, h = r.T
    rb0, rb1, rb2, rb3 = rb
    empty = (x > rb2) | (x + w - 1 < rb0) | (y > rb3) | (y + h - 1 < rb1)
    left, top = np.maximum(0, x - rb0), np.maximum(0, y - rb1)
    right, bottom = np.minimum(rb2, x + w - 1 - rb0), np.minimum(rb3, y + h - 1 - rb1)

    def stop(s, length):  # what numpy does with a slice end
        s = np.where(s < 0, s + length, s)
        return np.clip(s, 0, length)

    col_end, row_end = stop(right + 1, widths), stop(bottom + 1, heights)
    M = len(r)
    R = int(heights.sum())
    frame = np.repeat(np.arange(M), heights)
    Y = np.arange(R) - np.repeat(np.cumsum(heights) - heights, heights)
    has = (~empty[frame] & (Y >= top[frame]) & (Y < row_end[frame]) & (left[frame] < col_end[frame]))[:, None]
    return frame, left[frame][:, None], (col_end[frame] - 1)[:, None], has


def overlaps_vot_toolkit(a: np.ndarray, b: np.ndarray, bound) -> np.ndarray:
    """Overlap of row-matched regions as ``vot.region.calculate_overlap`` (vot-toolkit 0.9)
    computes it; ``bound`` = (W, H) image size."""
    ra, rb_ = np.round(np.asarray(a, np.float64)), np.round(np.asarray(b, np.float64))
    rect_a, rect_b = ra.shape[1] == 4, rb_.shape[1] == 4
    l1, t1, r1, b1 = _toolkit_bounds(ra, rect_a)
    l2, t2, r2, b2 = _toolkit_bounds(rb_, rect_b)
    u = (np.minimum(l1, l2), np.minimum(t1, t2), np.maximum(r1, r2), np.maximum(b1, b2))
    same_empty = (u[0] >= u[2]) | (u[1] >= u[3])
    if bound is not None:
        rbnd = (np.maximum(0, u[0]), np.maximum(0, u[1]), np.minimum(bound[0] - 1, u[2]), np.minimum(bound[1] - 1, u[3]))
    else:
        rbnd = u
    outside = (rbnd[0] >= rbnd[2]) | (rbnd[1] >= rbnd[3])
    result = np.where(same_empty, 1.0, 0.0)
    go = np.flatnonzero(~same_empty & ~outside)
    if len(go):
        rb = tuple(v[go] for v in rbnd)
        w = (rb[2] - rb[0] + 1).astype(np.int64)
        h = (rb[3] - rb[1] + 1).astype(np.int64)

        def spans(r, is_rect):
            if is_rect:
                return _rect_spans(r[go], rb, h, w)
            pts = r[go].reshape(len(go), -1, 2) - np.stack([rb[0], rb[1]], axis=1)[:, None, :]
            return _spans(pts, h, w, "vot-toolkit")

        s1, s2 = spans(ra, rect_a), spans(rb_, rect_b)
        area1, area2, inter = _count(s1[0], len(go), w, s1, s2)
        union = area1 + area2 - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            result[go] = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    return result


CONVENTIONS = ("vot2018", "vot-toolkit", "exact")


def check_convention(name: str) -> str:
    from hrom.errors import HromError

    if name not in CONVENTIONS:
        raise HromError(f"overlap {name!r}: expected one of {', '.join(CONVENTIONS)}")
    return name


def region_overlaps(pred, gt: np.ndarray, bound, convention: str = "vot2018") -> np.ndarray:
    """Overlap of each ``pred[i]`` (x,y,w,h or polygon values) with ``gt[i]``; NaN where
    ``pred[i]`` is a VOT code (one value) or None. ``convention``: ``vot2018`` (default),
    ``vot-toolkit`` or ``exact`` (geometric IoU of the polygons clipped to ``[0,W]x[0,H]``)."""
    check_convention(convention)
    gt = np.asarray(gt, dtype=np.float64)
    out = np.full(len(gt), np.nan)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(pred):
        n = 0 if p is None else len(p)
        if n >= 4:
            groups.setdefault(n, []).append(i)
    for idx in groups.values():
        a = np.asarray([pred[i] for i in idx], dtype=np.float64)
        b = gt[idx]
        if convention == "exact":
            from hrom.benchmarks.metrics import polygon_iou

            out[idx] = [polygon_iou(p, g, bound) for p, g in zip(a, b)]
        elif convention == "vot-toolkit":
            out[idx] = overlaps_vot_toolkit(a, b, bound)
        else:
            out[idx] = overlaps_vot2018(a, b, bound)
    return out


def region_overlap(pred, gt, bound, convention: str = "vot2018") -> float:
    """One frame of :func:`region_overlaps`."""
    return float(region_overlaps([list(np.ravel(pred))], np.ravel(gt)[None, :], bound, convention)[0])
