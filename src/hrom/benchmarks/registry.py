"""Benchmark names accepted by ``hrom eval`` / ``hrom tune`` and the object behind each.

Every entry is a :class:`~hrom.benchmarks.benchmark.Benchmark`; :func:`register` adds one (see
that module for a new benchmark in a few lines). ``pysot:FILE.json`` names any pysot dataset file.
"""

from __future__ import annotations

from pathlib import Path

from hrom.benchmarks.benchmark import Benchmark
from hrom.benchmarks.got10k import GOT10kBenchmark, GOT10kTestBenchmark
from hrom.benchmarks.lasot import LaSOTBenchmark
from hrom.benchmarks.otb import OTBBenchmark
from hrom.benchmarks.pysot_json import PysotBenchmark
from hrom.benchmarks.uav import UAVBenchmark
from hrom.benchmarks.vot import VOTBaselineBenchmark, VOTOnePassBenchmark
from hrom.errors import HromError

BENCHMARKS: dict[str, Benchmark] = {}


def register(bench: Benchmark) -> Benchmark:
    """Make ``bench`` available by its name (replacing one of the same name)."""
    BENCHMARKS[bench.name] = bench
    return bench


for _bench in (
    OTBBenchmark("otb100", "OTB100", "otb100", pysot_json="OTB100.json", aliases=("OTB2015", "OTBtb100")),
    OTBBenchmark("otb50", "OTB50", "otb50", pysot_json="OTB50.json", aliases=("OTBtb50",)),
    OTBBenchmark("otb2013", "OTB2013", "otb2013", pysot_json="CVPR13.json", aliases=("CVPR13",)),
    UAVBenchmark("uav123", "UAV123", "uav123", pysot_json="UAV123.json"),
    UAVBenchmark("uav123_10fps", "UAV123_10fps", "uav123_10fps", pysot_json="UAV123_10fps.json"),
    UAVBenchmark("uav20l", "UAV20L", "uav20l", pysot_json="UAV20L.json"),
    LaSOTBenchmark("lasot", "LaSOT", "lasot", pysot_json="LaSOT.json"),
    LaSOTBenchmark("lasot_full", "LaSOT_full", "lasot_full"),
    VOTBaselineBenchmark("vot2018", "VOT2018"),
    VOTOnePassBenchmark("vot2018_ope", "VOT2018_OPE"),
    GOT10kBenchmark("got10k_val", "GOT-10k_val", "val", aliases=("GOT-10k",)),
    GOT10kTestBenchmark("got10k_test", "GOT-10k_test", "test", aliases=("GOT-10k",)),
):
    register(_bench)


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name`` (case and ``-`` ignored), or ``pysot:FILE.json``."""
    key = name if name in BENCHMARKS else name.lower().replace("-", "")
    if key in BENCHMARKS:
        return BENCHMARKS[key]
    if key.startswith("pysot:") or key.endswith(".json"):
        return PysotBenchmark(name, Path(name.split(":", 1)[-1]))
    raise HromError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)} or pysot:PATH.json")


def open_benchmark(name: str, root: str | Path, partial: bool = False):
    """The reader for ``name`` over ``root`` (falls back to pysot's JSON when the native layout is absent)."""
    return get_benchmark(name).open(root, partial)
