"""hrom.export."""
