# The two commands a new user needs (see README.md):
#   make report   set up .venv if missing, install, run the main job on the shipped data
#   make test     set up the same way, run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
COUNCIL ?= E06000045

.PHONY: setup report test validate benchmarks clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

report: setup
	$(PY) -m benchmark validate --council $(COUNCIL)
	$(PY) -m benchmark report $(COUNCIL) --out outputs
	@echo "Index:  $(CURDIR)/outputs/index.html (the run's councils; outputs/run_manifest.json: versions, inputs, parameters, timings)"

test: setup
	$(PY) -m pytest

validate: setup
	$(PY) -m benchmark validate

benchmarks: setup
	$(PY) benchmarks/data_load.py
	$(PY) benchmarks/metrics_speed.py
	$(PY) benchmarks/model_speed.py
	$(PY) benchmarks/budget_speed.py
	$(PY) benchmarks/report_speed.py --limit 8

clean:
	rm -rf data/processed outputs/*/ .pytest_cache
