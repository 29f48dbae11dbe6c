# The two commands a new user needs (see README.md):
#   make report   set up .venv if missing, install, run the main job on the shipped data
#   make test     set up the same way, run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
COUNCIL ?= E06000045

.PHONY: setup report test lint validate benchmarks lock clean

# Installs the exact versions the tests passed with (requirements.lock), then the toolkit itself and
# its Jupyter kernel (asc-benchmark).
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@# the toolkit's own bytecode, written once: pip compiles the libraries it installs, not an editable
	@# package, and where PYTHONDONTWRITEBYTECODE is set every process of a report would compile it again
	$(PY) -m compileall -q benchmark
	@# the named kernel report.ipynb records, so JupyterLab opens a report in this environment
	$(PY) -c "from benchmark.report.runner import ensure_kernel; ensure_kernel()"
	@touch $(STAMP)

setup: $(STAMP)

report: setup
	$(PY) -m benchmark validate --council $(COUNCIL)
	$(PY) -m benchmark report $(COUNCIL) --out outputs
	@echo "Index:  $(CURDIR)/outputs/index.html (the run's councils; outputs/run_manifest.json: versions, inputs, parameters, timings)"

test: setup
	$(PY) -m pytest

# the linter, with the rules pyproject.toml states ([tool.ruff])
lint: setup
	$(PY) -m ruff check .

validate: setup
	$(PY) -m benchmark validate

benchmarks: setup
	$(PY) benchmarks/data_load.py
	$(PY) benchmarks/metrics_speed.py
	$(PY) benchmarks/model_speed.py
	$(PY) benchmarks/budget_speed.py
	$(PY) benchmarks/workbook_speed.py
	$(PY) benchmarks/report_speed.py --limit 8

# Re-pin requirements.lock after changing pyproject.toml's dependencies: a fresh environment with the
# newest versions the ranges allow, frozen (then run make test before committing the new lock).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	.lock-venv/bin/python -m pip freeze --exclude-editable > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf data/processed outputs/*/ .pytest_cache
