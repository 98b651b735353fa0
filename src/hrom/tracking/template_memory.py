"""The template a Siamese tracker matches against, kept up to date on confident frames.

A template *state* is whatever a backend's ``template_state`` holds (the channel mask and the two
RPN kernels: torch tensors or numpy arrays).  Every part is linear in the correlation that uses
it, so states are blended element-wise.  The first frame's state is always kept with weight
``keep``: it anchors the template, so a few bad updates cannot carry it away (the linear update
UpdateNet compares against, plus the first-frame term its skip connection keeps).
"""

from __future__ import annotations

from typing import Sequence


def blend(a: Sequence, b: Sequence, weight_b: float) -> tuple:
    """``(1 - weight_b) * a + weight_b * b``, part by part."""
    return tuple(x * (1.0 - weight_b) + y * weight_b for x, y in zip(a, b))


class TemplateMemory:
    """First-frame state plus a running average of the states of confident frames."""

    def __init__(self, lr: float, keep: float):
        self.lr, self.keep = lr, keep
        self.first: tuple | None = None
        self.running: tuple | None = None
        self.updates = 0

    def reset(self, state: Sequence) -> None:
        self.first = self.running = tuple(state)
        self.updates = 0

    def add(self, state: Sequence) -> tuple:
        """Fold in a new frame's state; returns the state to search with from now on."""
        if self.first is None:
            raise ValueError("TemplateMemory.add before reset")
        self.running = blend(self.running, state, self.lr)
        self.updates += 1
        return blend(self.first, self.running, 1.0 - self.keep)
