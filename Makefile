# The two commands of the README: `make run` and `make test`; `make docs` builds the site.
# All create .venv on first use and reinstall when pyproject.toml changes.

VENV ?= .venv
PYTHON := $(VENV)/bin/python
# PyPI's torch 2.13.0 (this machine's own disk holds its CPU build). Override for another
# build, e.g. `make run TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
TORCH ?= torch==2.13.0

# Kedro telemetry never runs: no consent prompt, nothing sent.
export KEDRO_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
# Material for MkDocs prints a banner about its successor on every build; the build is the same.
export NO_MKDOCS_2_WARNING := 1

.PHONY: run test docs figures

# torch goes through pip, which honours the machine's pip configuration (where this
# machine's disk holds the CPU build); everything else through uv, which resolves and
# downloads in parallel: seconds where pip takes about two minutes. uv keeps the torch
# already installed, as it satisfies the project's requirement. --compile-bytecode: uv
# leaves packages uncompiled, and where Python may not write its cache
# (PYTHONDONTWRITEBYTECODE, read-only venvs) every process would compile each module it
# imports again: about 10 s per process that imports BERTopic and Kedro.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet uv
	@echo "make: installing $(TORCH) (a large download) into $(VENV)"
	$(PYTHON) -m pip install --progress-bar on $(TORCH)
	@echo "make: installing the project, its tests, Jupyter (kedro jupyter lab) and MkDocs into $(VENV)"
	$(VENV)/bin/uv pip install --compile-bytecode --python $(PYTHON) -e ".[test,notebook,docs]"
	touch $@

# The names ArxivSnapshotDataset looks for beside data/01_raw/arxiv-metadata-oai-snapshot.json.
SNAPSHOT := $(firstword $(wildcard $(addprefix data/01_raw/,arxiv-metadata-oai-snapshot.json \
	arxiv-metadata-oai-snapshot.json.gz arxiv-metadata-oai-snapshot.json.zip \
	arxiv-metadata-oai-snapshot.zip arxiv.zip)))

run: $(VENV)/.installed
ifeq ($(SNAPSHOT),)
	@echo "make run: no arXiv snapshot in data/01_raw/, so running on the bundled SYNTHETIC demo corpus (kedro run --params demo=true)."
	$(VENV)/bin/kedro run --params demo=true
else
	@echo "make run: reading the arXiv snapshot $(SNAPSHOT)."
	$(VENV)/bin/kedro run
endif

# The docs are built strictly first (seconds): a broken link, anchor or API reference fails
# (not --quiet: it hides the warnings that --strict counts). Then pytest, a worker per CPU
# (at most 3); each module's tests on one worker, and the tests of the trained project
# (built once, the slow part) on one (tests/conftest.py).
test: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mkdocs build --strict
	$(PYTHON) -m pytest -n auto --dist loadscope

# The documentation site, from docs/ and the docstrings of src/, into site/.
docs: $(VENV)/.installed
	$(VENV)/bin/mkdocs build

# The docs' figures of the demo corpus and the 2,000-paper real sample, measured and written
# to docs/figures/demo_and_sample.md; work folders in data/benchmarks/ make a second run a
# rewrite without measuring (see the script).
figures: $(VENV)/.installed
	$(PYTHON) benchmarks/demo_and_sample.py
