"""Adult social care use-of-resources benchmarking for English councils.

The package computes; notebooks present.  Stages, each depending only on those before it:

``benchmark.data``        load the published files in ``data/raw``, validate, tidy, cache
``benchmark.councils``    the council registry (ONS and CASSR codes, names, regions, years)

See README.md for the layout and the data flow.
"""
__version__ = "0.1.0"
