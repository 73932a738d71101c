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

.PHONY: help curated watch test test-slow lint bench bench-scale report versions rollback constraints clean clean-reports setup
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,ocr]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install the project from constraints.txt

curated: $(VENV)/.installed ## the whole job: raw/ -> a new version of curated/ (RAW= INTERIM= CURATED= REPORTS= JOBS=)
	$(PY) -m pipeline run --raw $(RAW) --interim $(INTERIM) --curated $(CURATED) --reports $(REPORTS) --jobs $(JOBS)

watch: $(VENV)/.installed ## make curated, then again whenever raw/, the wording, the registry or the suites change (Ctrl-C stops)
	$(PY) -m pipeline watch --raw $(RAW) --interim $(INTERIM) --curated $(CURATED) --reports $(REPORTS) --jobs $(JOBS)

test: $(VENV)/.installed ## the test suite (the heaviest cases are in test-slow)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(VENV)/.installed ## the heaviest cases: a wheel install, kills during publish, pathological files
	$(PY) -m pytest -q -m slow

lint: $(VENV)/.installed ## ruff over pipeline/, tests/, bench/
	$(VENV)/bin/ruff check pipeline tests bench

bench: $(VENV)/.installed ## PDF extraction against its floors, and a small run's CPU (AGAINST=<commit> measures that commit too)
	$(PY) bench/bench_pdf.py
	$(PY) bench/bench_small.py $(if $(AGAINST),--against $(AGAINST))

bench-scale: $(VENV)/.installed ## the scale benchmark: 100, 1,000 and 10,000 notices (about 25 minutes)
	$(PY) bench/bench_scale.py --notices 100 1000 10000

report: ## the path of the latest run report
	@test -e $(REPORTS)/latest && echo "$$(readlink -f $(REPORTS)/latest)/summary.html" || echo "no report yet: run make curated"

versions: $(VENV)/.installed ## the published versions kept (* = current)
	$(PY) -m pipeline versions --curated $(CURATED)

rollback: $(VENV)/.installed ## make the version before the current one current (TO=<version> for another)
	$(PY) -m pipeline rollback --curated $(CURATED) $(if $(TO),--to $(TO))

constraints: $(VENV)/.installed ## write the installed versions to constraints.txt
	{ echo "# The set of versions the tests last passed with (Python 3.11, Linux x86-64): make installs from it."; \
	  echo "# Refresh: make constraints (after upgrading and passing make test)."; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^notice-pipeline'; } > constraints.txt

clean: ## empty interim/ (curated/ and reports/ stay)
	rm -rf $(INTERIM)/* $(INTERIM)/.pipeline .pytest_cache

clean-reports: ## remove reports/ (the runs index with them)
	rm -rf $(REPORTS)
