# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium redis-server wrk

.PHONY: run test lint bench system-deps node-deps clean-db

run: $(VENV)/.runtime
	$(BIN)/flask --app app run

test: $(VENV)/.dev system-deps node-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# Style (ruff) and architecture (import-linter: layers import only downward, no circles).
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Every benchmark, each writing its section of docs/benchmarks.md (about two hours on 2 cores).
bench: $(VENV)/.dev system-deps node-deps
	$(BIN)/pip install -q -r bench/requirements.txt
	$(BIN)/python bench/web.py
	$(BIN)/python bench/storage.py
	$(BIN)/python bench/validation.py --size-mb 300 --write-docs
	$(BIN)/python bench/training.py --write-docs
	$(BIN)/python bench/runs.py --write-docs
	$(BIN)/python bench/runs_celery.py --write-docs
	$(BIN)/python bench/automation.py --write-docs
	$(BIN)/python bench/serving.py --write-docs

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# Debian packages the tests drive: Chromium (browser tests), Redis (Celery), wrk (benchmarks).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Azurite, the Azure Blob emulator, from the npm registry at the version the lock file pins.
node-deps: tests/node/node_modules/.installed

tests/node/node_modules/.installed: tests/node/package.json tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $@

clean-db:
	$(BIN)/flask --app app db stop
