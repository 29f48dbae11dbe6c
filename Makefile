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
	@mkdir -p outputs/$(COUNCIL)
	$(PY) -m benchmark metrics $(COUNCIL) --format csv > outputs/$(COUNCIL)/.metrics.csv.tmp && mv outputs/$(COUNCIL)/.metrics.csv.tmp outputs/$(COUNCIL)/metrics.csv
	$(PY) -m benchmark model --format json > outputs/$(COUNCIL)/.model_65plus.json.tmp && mv outputs/$(COUNCIL)/.model_65plus.json.tmp outputs/$(COUNCIL)/model_65plus.json
	$(PY) -m benchmark metrics $(COUNCIL) | head -4
	@echo "Output: $(CURDIR)/outputs/$(COUNCIL)/metrics.csv (every metric against the comparator group)"
	@echo "        $(CURDIR)/outputs/$(COUNCIL)/model_65plus.json (expected-spend model, leave-one-out, every council)"

test: setup
	$(PY) -m pytest

validate: setup
	$(PY) -m benchmark validate

benchmarks: setup
	$(PY) benchmarks/data_load.py
	$(PY) benchmarks/metrics_speed.py
	$(PY) benchmarks/model_speed.py

clean:
	rm -rf data/processed outputs/*/ .pytest_cache
