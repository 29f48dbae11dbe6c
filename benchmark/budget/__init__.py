"""Needs-based budgeting: the expected-spend model and the base budget built up by service line."""
