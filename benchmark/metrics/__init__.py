"""Benchmarking metrics: definitions (:mod:`.registry`), values (:mod:`.compute`) and comparator
statistics (:mod:`.stats`)."""
