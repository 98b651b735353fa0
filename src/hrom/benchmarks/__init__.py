"""Benchmarks: readers for OTB / UAV123 / LaSOT / VOT-2018 / GOT-10k, the OPE and VOT baseline
protocols, scoring that matches the reference toolkits, and reports.

    from hrom.benchmarks import open_benchmark, run_benchmark, evaluate, write_report

Each ``--benchmark`` name is a :class:`Benchmark` object (``run``, ``result_path``, ``score``,
``plot``); a new one is a subclass of :class:`OPEBenchmark` (or :class:`Benchmark`) plus its
:class:`Reader`, made available with :func:`register`.
"""

from hrom.benchmarks.base import Reader
from hrom.benchmarks.benchmark import Benchmark, OPEBenchmark
from hrom.benchmarks.registry import BENCHMARKS, get_benchmark, open_benchmark, register
from hrom.benchmarks.report import evaluate, write_report
from hrom.benchmarks.runner import run_benchmark
from hrom.benchmarks.sequence import Sequence

__all__ = ["BENCHMARKS", "Benchmark", "OPEBenchmark", "Reader", "Sequence", "evaluate", "get_benchmark",
           "open_benchmark", "register", "run_benchmark", "write_report"]
