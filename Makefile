# The two commands of the README: `make build` and `make test`. Both set up what they
# need first: a venv with the pinned Python packages, and the Debian packages below.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL ?= architecture.yaml

.PHONY: build test setup system lint bench clean

build: setup
	$(BIN)/archc build $(MODEL)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: setup
	$(BIN)/python bench/run.py

setup: system $(VENV)/.installed

# node runs cdktn's jsii runtime.
system:
	@command -v node >/dev/null || { echo "installing nodejs (Debian)"; \
	  (apt-get update -qq && apt-get install -y -qq nodejs) >/dev/null; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
