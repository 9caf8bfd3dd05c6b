# forcedsync: every target creates .venv and installs the package first when needed.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The Jupyter kernel 'forcedsync' the job notebook runs on, installed in the venv.
KERNEL := $(VENV)/share/jupyter/kernels/forcedsync/kernel.json
DB ?= forcedsync.duckdb
PORT ?= 8866
NBVAL_DB := $(CURDIR)/.nbval/demo.duckdb

.PHONY: install test test-fast nbval check lint demo dashboard bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

$(KERNEL): $(STAMP)
	$(PY) -m forcedsync_kit kernel install --sys-prefix > /dev/null

install: $(STAMP) $(KERNEL)

## The whole suite: DuckDB and PostgreSQL tests, browser tests, then the notebooks.
test: $(STAMP) $(KERNEL)
	$(PY) -m pytest tests -n 2 --timeout 900 -q
	$(MAKE) --no-print-directory nbval

## Everything but the slow (browser, crash, large) tests.
test-fast: $(STAMP) $(KERNEL)
	$(PY) -m pytest tests -n 2 -m "not slow" -q

## Run every notebook with nbval against a fresh demo database.
nbval: $(STAMP) $(KERNEL)
	rm -rf .nbval && mkdir -p .nbval
	$(PY) -m forcedsync_kit demo --db $(NBVAL_DB) > /dev/null
	FORCEDSYNC_DB_URL=$(NBVAL_DB) FORCEDSYNC_USER=ADMIN \
	  $(PY) -m pytest --nbval-lax -p no:xdist -q notebooks dashboards

## Lint gate of CI: ruff (rules and formatting) and mypy --strict (pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check forcedsync_kit tests benchmarks
	$(VENV)/bin/ruff format --check forcedsync_kit tests benchmarks
	$(VENV)/bin/mypy forcedsync_kit

## What CI runs: the lint gate, then the whole suite.
check: lint test

## Create the demo database if it is missing and print a preview of ADMIN's records.
demo: $(STAMP)
	test -f $(DB) || $(PY) -m forcedsync_kit demo --db $(DB)
	$(PY) -m forcedsync_kit preview --db $(DB) --operator ADMIN \
	  -p SELCOR=1 -p SELTSK=1 -p SELCLL=1 -p SELBAP=1 -p ONLYOOP=1 --page-size 20

## Create the demo database if it is missing, then serve the dashboard with Voila on
## 127.0.0.1 as the demo's authorised operator (a.martin, X3 user ADMIN).
dashboard: $(STAMP)
	test -f $(DB) || $(PY) -m forcedsync_kit demo --db $(DB)
	$(PY) -m forcedsync_kit dashboard --db $(DB) --port $(PORT) --demo

## Benchmarks at demo scale 30 (about 1 min; PostgreSQL at 127.0.0.1:5432 when reachable,
## schema "bench", dropped after). Full scale (about 25 min):
##   $(PY) benchmarks/run.py --scale 1000 --repeat 5 --save out/bench.pkl --write-docs docs/performance.md
bench: $(STAMP)
	timeout -s INT -k 30 280 $(PY) benchmarks/run.py --scale 30 --repeat 3 --loop-sample 1000 --budget 200

clean:
	rm -rf .nbval .pytest_cache .mypy_cache .ruff_cache build *.egg-info
