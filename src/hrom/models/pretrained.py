"""Weights that ship with hrom, as pretrained tags ``<preset>.<tag>`` (timm's naming).

``hrom-tiny.bundled`` is the small network trained on this project's CPU machine
(``hrom/assets/hrom_bundled.pt``); ``hrom`` is its short alias, what ``hrom track`` uses by
default.  A new shipped checkpoint is one ``register_pretrained`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hrom.errors import HromError
from hrom.models.config import PRESETS


@dataclass(frozen=True)
class PretrainedWeights:
    """A tag's weights: ``locate()`` gives the file, or None when this install does not ship it."""

    tag: str
    locate: Callable[[], Path | None]
    note: str = ""

    @property
    def architecture(self) -> str:
        return self.tag.rsplit(".", 1)[0]


PRETRAINED: dict[str, PretrainedWeights] = {}
ALIASES: dict[str, str] = {}


def register_pretrained(tag: str, locate: Callable[[], Path | None], note: str = "", aliases: tuple[str, ...] = ()) -> None:
    """Make ``tag`` (``<preset>.<name>``) and its ``aliases`` loadable by ``create_model``."""
    arch, _, name = tag.rpartition(".")
    if arch not in PRESETS or not name:
        raise ValueError(f"pretrained tag {tag!r}: expected <preset>.<name> with a registered preset")
    PRETRAINED[tag] = PretrainedWeights(tag, locate, note)
    for alias in aliases:
        ALIASES[alias] = tag


def canonical(name: str) -> str:
    """The tag an alias stands for (other names unchanged)."""
    return ALIASES.get(name, name)


def default_tag(architecture: str) -> str | None:
    """The first tag registered for a preset (what a set ``pretrained`` flag loads, from the local file), or None."""
    return next((t for t, w in PRETRAINED.items() if w.architecture == architecture), None)


def pretrained_file(name: str) -> Path:
    """The checkpoint file of a tag or alias, or a one-line error when this install lacks it."""
    weights = PRETRAINED[canonical(name)]
    path = weights.locate()
    if path is None:
        raise HromError(f"{name}: no bundled HROM weights are shipped with this version of hrom yet ({weights.tag}); "
                        "pass --model CHECKPOINT (a .pt file from `hrom train`) or a preset name such as hrom-w18 "
                        "(untrained)")
    return path


def _bundled() -> Path | None:
    from hrom.models import checkpoint  # looked up at call time: tests replace bundled_checkpoint

    return checkpoint.bundled_checkpoint()


register_pretrained("hrom-tiny.bundled", _bundled, aliases=("hrom",),
                    note="trained from scratch on this project's CPU machine (the extra real data); see assets/hrom_bundled.md")
