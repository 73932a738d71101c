# Set-up is part of every target: the virtual environment is made and the project installed
# when missing, so `make curated` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# RAW= INTERIM= CURATED= REPORTS= JOBS= reach the pipeline only when set (make curated RAW=inbox);
# unset, the settings file (./notice-pipeline.toml or [tool.notice-pipeline] in ./pyproject.toml),
# NOTICE_PIPELINE_* variables and the defaults apply. ARGS= passes any other option (ARGS="--select state:modified").
SETTINGS = $(strip $(if $(RAW),--raw $(RAW)) $(if $(INTERIM),--interim $(INTERIM)) $(if $(CURATED),--curated $(CURATED)) \
           $(if $(REPORTS),--reports $(REPORTS)) $(if $(JOBS),--jobs $(JOBS)))
# A failing recipe makes make exit 2 whatever the pipeline said: a scheduler calls `notice-pipeline run`
# (or `$(PY) -m pipeline run`) to tell 1 (held back) from 2 (nothing published).
export GX_ANALYTICS_ENABLED := False

.PHONY: help curated watch test test-slow lint bench bench-scale bench-dask report versions rollback constraints clean clean-reports setup system-deps
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,ocr,dist]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install the project from constraints.txt

system-deps: ## install what pip cannot (LibreOffice, Chromium, CJK fonts) when missing, or say how
	@scripts/system-deps

curated: $(VENV)/.installed ## the whole job: raw/ -> a new version of curated/ (RAW= INTERIM= CURATED= REPORTS= JOBS= ARGS=)
	$(PY) -m pipeline run $(strip $(SETTINGS) $(ARGS))

watch: $(VENV)/.installed ## make curated, then again whenever raw/, the wording, the registry or the suites change (Ctrl-C stops)
	$(PY) -m pipeline watch $(strip $(SETTINGS) $(ARGS))

test: system-deps $(VENV)/.installed ## the test suite (the heaviest cases are in test-slow)
	$(PY) -m pytest -q -m "not slow"

test-slow: system-deps $(VENV)/.installed ## the heaviest cases: a wheel install, kills during publish, pathological files
	$(PY) -m pytest -q -m slow

lint: $(VENV)/.installed ## ruff over pipeline/, tests/, bench/
	$(VENV)/bin/ruff check pipeline tests bench

bench: $(VENV)/.installed ## PDF extraction against its floors, and a small run's CPU (AGAINST=<commit> measures that commit too)
	$(PY) bench/bench_pdf.py
	$(PY) bench/bench_small.py $(if $(AGAINST),--against $(AGAINST))

bench-scale: $(VENV)/.installed ## the scale benchmark: 100, 1,000 and 10,000 notices (about 25 minutes)
	$(PY) bench/bench_scale.py --notices 100 1000 10000

bench-dask: $(VENV)/.installed ## the Dask executor against the local one on 1,000 notices, and the driver's memory at 10,000 (about 40 minutes)
	$(PY) bench/bench_dask.py --notices 1000 --big 10000

report: $(VENV)/.installed ## the path of the latest run report
	@r=$$($(PY) -m pipeline config reports $(SETTINGS)) && { test -e "$$r/latest" && echo "$$(readlink -f "$$r/latest")/summary.html" || echo "no report yet: run make curated"; }

versions: $(VENV)/.installed ## the published versions kept (* = current)
	$(PY) -m pipeline versions $(if $(CURATED),--curated $(CURATED))

rollback: $(VENV)/.installed ## make the version before the current one current (TO=<version> for another)
	$(PY) -m pipeline rollback $(if $(CURATED),--curated $(CURATED)) $(if $(TO),--to $(TO))

constraints: $(VENV)/.installed ## write the installed versions to constraints.txt
	{ echo "# The set of versions the tests last passed with (Python 3.11, Linux x86-64): make installs from it."; \
	  echo "# Refresh: make constraints (after upgrading and passing make test)."; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^notice-pipeline'; } > constraints.txt

clean: $(VENV)/.installed ## empty interim/ (curated/ and reports/ stay)
	i=$$($(PY) -m pipeline config interim $(SETTINGS)) && test -n "$$i" && rm -rf "$$i"/* "$$i"/.pipeline .pytest_cache

clean-reports: $(VENV)/.installed ## remove reports/ (the runs index with them)
	r=$$($(PY) -m pipeline config reports $(SETTINGS)) && test -n "$$r" && rm -rf "$$r"
