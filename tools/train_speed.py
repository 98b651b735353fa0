"""Training speed on this machine: iterations/s and pairs/s of the HROM training step.

Measures forward + loss + backward + clipped SGD step on a fixed batch (data loading excluded,
see the log's pairs/s for the full pipeline), in both phases of the schedule: warm-up (backbone
frozen, BN in eval) and end-to-end.

    .venv/bin/python tools/train_speed.py --model hrom-tiny hrom-w18 --batch-size 4 --iters 3
"""

from __future__ import annotations

import argparse
import time

import torch

from hrom.models import build_model
from hrom.training.losses import TrackingLoss
from hrom.training.schedule import freeze_pretrained, set_train_mode


def fake_batch(batch: int, anchors: int = 5, size: int = 25, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch with the training data contract's shapes; labels: 16 positives, 48 negatives per pair."""
    g = torch.Generator().manual_seed(seed)
    label = torch.full((batch, anchors * size * size), -1, dtype=torch.int64)
    weight = torch.zeros(batch, anchors * size * size)
    for b in range(batch):
        idx = torch.randperm(anchors * size * size, generator=g)[:64]
        label[b, idx[:16]] = 1
        label[b, idx[16:]] = 0
        weight[b, idx[:16]] = 1.0 / 16
    return {
        "template": torch.rand(batch, 3, 127, 127, generator=g) * 255,
        "search": torch.rand(batch, 3, 255, 255, generator=g) * 255,
        "label_cls": label.view(batch, anchors, size, size),
        "label_loc": torch.randn(batch, 4, anchors, size, size, generator=g) * 0.2,
        "label_loc_weight": weight.view(batch, anchors, size, size),
    }


def measure(model_name: str, batch_size: int, iters: int, warmup: int, frozen: bool, device: str) -> float:
    torch.manual_seed(0)
    model = build_model(model_name, device)
    pretrained = set(model.backbone.state_dict()) if frozen else set()  # warm-up: the whole backbone as if loaded
    freeze_pretrained(model, pretrained, frozen)
    set_train_mode(model, pretrained)
    criterion = TrackingLoss()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3, momentum=0.9, weight_decay=1e-4)
    batch = {k: v.to(device) for k, v in fake_batch(batch_size).items()}
    trainable = [p for p in model.parameters() if p.requires_grad]

    def step() -> None:
        cls, loc = model(batch["template"], batch["search"])
        loss = criterion(cls, loc, batch)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 10.0)
        opt.step()

    for _ in range(warmup):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return iters / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", nargs="+", default=["hrom-tiny", "hrom-w18"])
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--iters", type=int, default=3, help="timed iterations")
    ap.add_argument("--warmup", type=int, default=1, help="untimed iterations first")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"device {args.device}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
          f"{args.iters} timed iterations after {args.warmup} warm-up")
    print(f"{'model':<12}{'phase':<22}{'it/s':>8}{'pairs/s':>10}")
    for name in args.model:
        for frozen, phase in ((True, "warm-up (frozen)"), (False, "end-to-end")):
            rate = measure(name, args.batch_size, args.iters, args.warmup, frozen, args.device)
            print(f"{name:<12}{phase:<22}{rate:>8.3f}{rate * args.batch_size:>10.2f}")


if __name__ == "__main__":
    main()
