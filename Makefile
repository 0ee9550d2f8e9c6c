# Signalbox: `make demo` runs the whole product locally; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HTMX_VERSION := 2.0.8

.PHONY: demo test up down setup setup-dev lint bench clean help

help:
	@echo "make demo   - install what is missing and start Signalbox with a local Kafka and demo traffic"
	@echo "make test   - install what the tests need and run ruff, mypy and the whole pytest suite"
	@echo "make up     - start the background stack (Kafka, Connect, Redis); prints KEY=value lines"
	@echo "make down   - stop it"

demo: setup
	@bash dev/demo.sh

test: setup-dev
	@bash dev/test.sh $(ARGS)

up:
	@$(PYTHON) dev/stack.py up --name dev --kafka --connect --redis

down:
	@$(PYTHON) dev/stack.py down --name dev

# The virtualenv is rebuilt only when the requirements change.
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# htmx is served from our own static files (no CDN); fetched once from the npm registry.
static/vendor/htmx.min.js:
	@mkdir -p .cache/npm static/vendor
	@cd .cache/npm && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null
	@tar -xzf .cache/npm/htmx.org-$(HTMX_VERSION).tgz -C .cache/npm package/dist/htmx.min.js
	@cp .cache/npm/package/dist/htmx.min.js $@

setup: $(VENV)/.installed static/vendor/htmx.min.js
	@$(PYTHON) dev/stack.py jars
	@$(PYTHON) dev/stack.py install

setup-dev: setup $(VENV)/.installed-dev

lint: setup-dev
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy .

bench: setup-dev
	@echo "Benchmarks live in bench/; each prints how to run it."

clean:
	@$(PYTHON) dev/stack.py down --name dev || true
	@$(PYTHON) dev/stack.py down --name test || true
	rm -rf .cache static/vendor
