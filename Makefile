# Two commands: `make demo` (whole watch offline on recorded notices) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# test workers: twice the cores (many tests wait on subprocesses, servers and mail, not on the CPU)
JOBS ?= $(shell echo $$(( $$(nproc) * 2 )))

.PHONY: setup demo demo-reset test run lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/python run_watch.py demo

demo-reset:  # removes the demo's own files (data/demo/) and nothing else
	rm -rf data/demo

test: setup
	$(BIN)/python -m pytest -q -n $(JOBS)

run: setup
	$(BIN)/python run_watch.py once

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/observatory.py

clean:
	rm -rf $(VENV) data/demo
