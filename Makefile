# Set-up is part of every target: the virtual environment is made and the project installed
# when missing, so `make curated` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RAW ?= raw
INTERIM ?= interim
CURATED ?= curated
REPORTS ?= reports
JOBS ?= 0
export GX_ANALYTICS_ENABLED := False

.PHONY: curated test lint bench bench-scale report clean clean-reports setup

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

curated: $(VENV)/.installed
	$(PY) -m pipeline run --raw $(RAW) --interim $(INTERIM) --curated $(CURATED) --reports $(REPORTS) --jobs $(JOBS)

test: $(VENV)/.installed
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check pipeline tests bench

bench: $(VENV)/.installed
	$(PY) bench/bench_pdf.py

bench-scale: $(VENV)/.installed
	$(PY) bench/bench_scale.py --notices 1000

report:
	@test -e $(REPORTS)/latest && echo "$$(readlink -f $(REPORTS)/latest)/summary.html" || echo "no report yet: run make curated"

clean:
	rm -rf $(INTERIM)/* .pytest_cache

clean-reports:
	rm -rf $(REPORTS)
