"""Start a wider preset from trained narrower weights (function-preserving; ``hrom.models.widen``).

    python tools/widen_weights.py hrom-tiny.bundled --to hrom-small --out runs/small_init.pt
    hrom train --config configs/extra/train_cpu.yaml --set model=hrom-small \\
        --set init_weights=runs/small_init.pt --out runs/small

Every channel count of ``--to`` must equal or double the source's (hrom-tiny -> hrom-small does).
Prints the largest output difference between the two networks on a random pair (float rounding).
"""

from __future__ import annotations

import argparse
import sys

import torch

from hrom.errors import HromError
from hrom.models import create_model, get_preset
from hrom.models.checkpoint import save_checkpoint
from hrom.models.widen import widened


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="hrom checkpoint or pretrained tag (e.g. hrom-tiny.bundled)")
    ap.add_argument("--to", required=True, help="the wider preset (e.g. hrom-small)")
    ap.add_argument("--out", required=True, help="checkpoint to write (for init_weights)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random split between copies")
    args = ap.parse_args()
    try:
        narrow = create_model(args.source).model
        wide = widened(narrow, get_preset(args.to), args.seed).eval()
    except HromError as exc:
        print(f"widen_weights: error: {exc}", file=sys.stderr)
        return 2
    g = torch.Generator().manual_seed(0)
    z, x = torch.rand(1, 3, 127, 127, generator=g) * 255, torch.rand(1, 3, 255, 255, generator=g) * 255
    with torch.no_grad():
        diff = max((a - b).abs().max().item() for a, b in zip(narrow(z, x), wide(z, x)))
    save_checkpoint(wide, args.out, extra={"widened_from": args.source})
    print(f"{args.out}: {args.to} from {args.source}; largest output difference {diff:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
