"""Command-line interface: ``hrom <command>``; each command lives in its own module."""
