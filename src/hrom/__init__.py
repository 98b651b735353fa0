"""hrom: the HROM Siamese tracker — models, tracking, training, benchmarks, export."""

__version__ = "0.1.0"
