"""A council's own local inputs (workforce, Better Care Fund plan, care home fees, package extract).

See docs/local-data.md for the schemas and :mod:`benchmark.local.panel` for the outputs.
"""

#: Seed of the generated example files (:mod:`benchmark.local.examples`); here, where the command
#: line can read it without importing pandas.
SEED = 20190501
