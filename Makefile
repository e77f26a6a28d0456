# The commands of the README: `make build`, `make test` (what CI runs) and `make check-fast`
# (the edit loop). Each sets up what it needs first: a venv with the pinned Python packages, and the Debian packages below.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL ?= architecture.yaml

.PHONY: build test check-fast setup system lint bench clean

build: setup
	$(BIN)/archc build $(MODEL)

# The tests run the real hashicorp/aws provider's validate on every example
# (tests/test_plan_real.py) from a Terraform filesystem mirror found on this machine;
# an ARCHC_TEST_PLUGIN_DIR you set wins. Without one the test skips (fails on CI).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	ARCHC_TEST_PLUGIN_DIR="$${ARCHC_TEST_PLUGIN_DIR:-$$(tools/find_tf_mirror.sh)}" $(BIN)/pytest

# The edit loop: lint, types and the fast tier of the tests (no test marked slow), under a minute.
check-fast: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -m "not slow"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: setup
	$(BIN)/python bench/run.py

# The YAML language server tests/test_editor.py runs (an editor's completion and hover).
LSP := tools/lsp/node_modules/.package-lock.json

setup: system $(VENV)/.installed $(LSP)

$(LSP): tools/lsp/package.json tools/lsp/package-lock.json
	npm ci --prefix tools/lsp --no-audit --no-fund --loglevel=error

# node runs cdktn's jsii runtime, and npm installs the editor test's language server;
# graphviz draws the diagrams, in DejaVu Sans with Noto for CJK and emoji
# (compiler/diagrams/canvas.py: FONT); chromium (headless) checks the docs site in the tests. Installed from Debian when missing.
system:
	@missing=""; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$$missing fonts-noto-cjk"; \
	[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
	  echo "installing (Debian):$$missing"; \
	  SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
