"""hrom.training."""
