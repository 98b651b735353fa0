"""What every benchmark reader provides: sequence names (cheap) and one Sequence on demand."""

from __future__ import annotations

import json
from pathlib import Path

from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError


class Reader:
    """Base reader. ``partial=True`` evaluates only the sequences present under the root instead
    of failing on missing ones. ``protocol`` is set by the benchmark that opens the reader (its
    result layout: ``ope``, ``vot`` or ``got10k``); a reader does not decide how it is run."""

    protocol = "ope"

    def __init__(self, root: Path, partial: bool = False):
        self.root = Path(root)
        self.partial = partial
        if not self.root.is_dir():
            raise HromError(f"{self.root}: dataset root not found")

    def names(self) -> list[str]:
        raise NotImplementedError

    def load(self, name: str) -> Sequence:
        raise NotImplementedError

    def __iter__(self):
        return (self.load(n) for n in self.names())

    def __len__(self) -> int:
        return len(self.names())

    def check_missing(self, missing: list[str], expected: int, layout: str) -> None:
        if not missing:
            return
        if len(missing) == expected:
            raise HromError(f"{self.root}: none of the {expected} sequences found; expected {layout}")
        if not self.partial:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise HromError(f"{self.root}: sequence {missing[0]}{more} missing; expected {layout} "
                            f"(use --partial to evaluate only the sequences present)")

    def pysot_attributes(self, json_name: str, names: dict[str, str] | None = None) -> dict[str, tuple[str, ...]]:
        """Per-sequence attributes from pysot's dataset JSON in the root (``attr`` lists), if present."""
        path = self.root / json_name
        if not path.is_file():  # newer pysot releases name them <NAME>_new.json
            path = self.root / json_name.replace(".json", "_new.json")
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise HromError(f"{path}: not a readable pysot dataset JSON ({exc})") from None
        out = {}
        for video, info in data.items():
            attrs = info.get("attr", []) if isinstance(info, dict) else []
            out[video] = tuple((names or {}).get(a, a) for a in attrs)
        return out


def select_sequences(reader: Reader, sequences: list[str] | None) -> list[str]:
    """The reader's names in its order, or those of ``sequences`` (each must be one of them)."""
    names = reader.names()
    if not sequences:
        return names
    unknown = [s for s in sequences if s not in names]
    if unknown:
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        raise HromError(f"sequence {unknown[0]!r} not in this benchmark under {reader.root}; expected one of {shown}")
    return [s for s in names if s in set(sequences)]
