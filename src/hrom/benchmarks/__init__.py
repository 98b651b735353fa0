"""hrom.benchmarks."""
