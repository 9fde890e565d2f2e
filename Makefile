# Two commands do all the set-up on a fresh machine (Python >= 3.11 with pip):
#   make demo   -- create .venv, install, run the demo on the embedded fake server
#   make test   -- create .venv, install with the test extra, run ruff, mypy --strict, pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench clean browser redis

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

# The timeline page tests (tests/logs) drive Debian's chromium: installed here when we
# can (root with apt-get), otherwise those tests skip and name the package.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium (apt-get) for the timeline page tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	  echo "could not install chromium: the browser tests will skip"; \
	else echo "chromium is missing (apt-get install chromium as root): browser tests skip"; fi

# The fleet tests (tests/fleet) start real redis-server processes (Debian's
# redis-server package): installed here when we can, otherwise they skip and say so.
redis:
	@if command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing redis-server (apt-get) for the fleet tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	  { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1; } || \
	  echo "could not install redis-server: the fleet tests will skip"; \
	else echo "redis-server is missing (apt-get install redis-server as root): fleet tests skip"; fi

pytest: $(VENV)/.test-installed browser redis
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.test-installed
	$(BIN)/python bench/codec.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
