"""hrom.tracking."""
