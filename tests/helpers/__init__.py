"""Shared test helpers: fixtures in the real on-disk layouts, stub trackers and backends,
small training set-ups. Imported by the test modules as ``helpers.<area>``."""
