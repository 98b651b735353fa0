"""Benchmark names accepted by ``hrom eval`` and how each is read, run and scored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hrom.errors import HromError


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str          # CLI name
    folder: str        # results/<folder>/<tracker>/ (pysot's dataset names)
    family: str        # reader module
    variant: str       # reader argument
    protocol: str      # "ope" | "vot" | "got10k" (test submission layout)
    scoring: str       # "otb" | "uav" | "lasot" | "got10k" | "vot" | "none"
    pysot_json: str = ""  # pysot's dataset JSON for this benchmark (fallback layout + attributes)
    aliases: tuple[str, ...] = ()  # other folder names result trees use


BENCHMARKS = {b.name: b for b in (
    BenchmarkSpec("otb100", "OTB100", "otb", "otb100", "ope", "otb", "OTB100.json", ("OTB2015", "OTBtb100")),
    BenchmarkSpec("otb50", "OTB50", "otb", "otb50", "ope", "otb", "OTB50.json", ("OTBtb50",)),
    BenchmarkSpec("otb2013", "OTB2013", "otb", "otb2013", "ope", "otb", "CVPR13.json", ("CVPR13",)),
    BenchmarkSpec("uav123", "UAV123", "uav", "uav123", "ope", "uav", "UAV123.json"),
    BenchmarkSpec("uav123_10fps", "UAV123_10fps", "uav", "uav123_10fps", "ope", "uav", "UAV123_10fps.json"),
    BenchmarkSpec("uav20l", "UAV20L", "uav", "uav20l", "ope", "uav", "UAV20L.json"),
    BenchmarkSpec("lasot", "LaSOT", "lasot", "lasot", "ope", "lasot", "LaSOT.json"),
    BenchmarkSpec("lasot_full", "LaSOT_full", "lasot", "lasot_full", "ope", "lasot", ""),
    BenchmarkSpec("vot2018", "VOT2018", "vot", "vot2018", "vot", "vot", ""),
    # one-pass (no re-initialisation) run on a VOT workspace, scored like OTB on the polygons' hulls
    BenchmarkSpec("vot2018_ope", "VOT2018_OPE", "vot", "vot2018", "ope", "otb", ""),
    BenchmarkSpec("got10k_val", "GOT-10k_val", "got10k", "val", "ope", "got10k", "", ("GOT-10k",)),
    BenchmarkSpec("got10k_test", "GOT-10k_test", "got10k", "test", "got10k", "none", "", ("GOT-10k",)),
)}


def get_spec(name: str) -> BenchmarkSpec:
    key = name.lower().replace("-", "")
    if key in BENCHMARKS:
        return BENCHMARKS[key]
    if key.startswith("pysot:") or key.endswith(".json"):
        stem = Path(name.split(":", 1)[-1]).stem.replace("_new", "")
        return BenchmarkSpec(name, stem, "pysot", name.split(":", 1)[-1], "ope", "uav")
    raise HromError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)} or pysot:PATH.json")


def open_benchmark(name: str, root: str | Path, partial: bool = False):
    """The reader for ``name`` over ``root`` (falls back to pysot's JSON when the native layout is absent)."""
    spec = get_spec(name)
    root = Path(root)
    if spec.family == "pysot":
        from hrom.benchmarks.pysot_json import PysotJSONReader

        return PysotJSONReader(Path(spec.variant), partial)
    if spec.family == "otb":
        from hrom.benchmarks.otb import OTBReader as cls
    elif spec.family == "uav":
        from hrom.benchmarks.uav import UAVReader as cls
    elif spec.family == "lasot":
        from hrom.benchmarks.lasot import LaSOTReader as cls
    elif spec.family == "vot":
        from hrom.benchmarks.vot import VOTReader as cls
    else:
        from hrom.benchmarks.got10k import GOT10kReader as cls
    try:
        return cls(root, spec.variant, partial=partial)
    except HromError:
        for js in (spec.pysot_json, spec.pysot_json.replace(".json", "_new.json")):
            if js and (root / js).is_file() and _is_pysot_dataset(root / js):
                from hrom.benchmarks.pysot_json import PysotJSONReader

                return PysotJSONReader(root / js, partial)
        raise


def _is_pysot_dataset(path: Path) -> bool:
    """A full pysot dataset file (with image lists), not just an attribute table."""
    import json

    try:
        data = json.loads(path.read_text())
        first = next(iter(data.values()))
        return isinstance(first, dict) and "img_names" in first
    except (ValueError, StopIteration, AttributeError, OSError):
        return False
