# The two commands of the README: `make run` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.

VENV ?= .venv
PYTHON := $(VENV)/bin/python
# PyPI's torch 2.13.0 (this machine's own disk holds its CPU build). Override for another
# build, e.g. `make run TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
TORCH ?= torch==2.13.0

# Kedro telemetry never runs: no consent prompt, nothing sent.
export KEDRO_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1

.PHONY: run test

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet $(TORCH)
	$(PYTHON) -m pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/kedro run

test: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks
	$(PYTHON) -m pytest
