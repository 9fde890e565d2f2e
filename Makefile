# Two commands do all the set-up on a fresh machine (Python >= 3.11 with pip):
#   make demo   -- create .venv, install, run the demo on the embedded fake server
#   make test   -- create .venv, install with the test extra, run ruff, mypy --strict, pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/live-actor demo

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy --strict live_actor examples

pytest: $(VENV)/.test-installed
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.test-installed
	$(BIN)/python bench/codec.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
