"""Benchmarks: readers for OTB / UAV123 / LaSOT / VOT-2018 / GOT-10k, the OPE and VOT baseline
protocols, scoring that matches the reference toolkits, and reports.

    from hrom.benchmarks import open_benchmark, run_benchmark, evaluate, write_report
"""

from hrom.benchmarks.registry import BENCHMARKS, get_spec, open_benchmark
from hrom.benchmarks.sequence import Sequence


def run_benchmark(*args, **kwargs):
    """See :func:`hrom.benchmarks.runner.run_benchmark`."""
    from hrom.benchmarks.runner import run_benchmark as _run

    return _run(*args, **kwargs)


def evaluate(*args, **kwargs):
    """See :func:`hrom.benchmarks.report.evaluate`."""
    from hrom.benchmarks.report import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


def write_report(*args, **kwargs):
    """See :func:`hrom.benchmarks.report.write_report`."""
    from hrom.benchmarks.report import write_report as _write

    return _write(*args, **kwargs)


__all__ = ["BENCHMARKS", "Sequence", "evaluate", "get_spec", "open_benchmark", "run_benchmark", "write_report"]
