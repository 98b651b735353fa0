"""hrom.data."""
