# KAM — the two commands: `make demo` (run the app with demo data) and `make test` (lint + all tests).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
SCALE ?= 1
BENCH_ARGS ?=

.PHONY: demo test test-postgres lint format bench serve worker clean help

help:
	@echo "make demo   - set up, load the demo company and run KAM on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	@echo "make test   - lint + the whole test suite on SQLite (browser tests included)"
	@echo "make test-postgres - the same suite on PostgreSQL (KAM_TEST_POSTGRES_URL)"
	@echo "make bench  - benchmarks on a scale-$(SCALE) tenant (SCALE=1: 200,000 customers), PostgreSQL and SQLite; see docs/performance.md"

$(STAMP): pyproject.toml uv.lock
	@PY=$$(scripts/find-python) && echo "Using $$PY" && \
	  { [ -x $(BIN)/python ] || $$PY -m venv $(VENV); } && \
	  { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null; } && \
	  $(BIN)/python -m pip install -q --disable-pip-version-check "uv==0.13.9" && \
	  UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync -q --frozen --python $(BIN)/python
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p var
	@test -f var/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	KAM_SECRET_KEY="$$(cat var/secret_key)" KAM_HTTPS=0 KAM_DEBUG=0 KAM_DEMO=1 KAM_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend $(BIN)/kam demo --serve --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	KAM_TESTING=1 $(BIN)/python manage.py makemigrations --check --dry-run --settings=kam.settings_test
	@scripts/ensure-test-tools
	$(BIN)/pytest

test-postgres: $(STAMP)
	@scripts/ensure-test-tools
	KAM_DATABASE_URL=$${KAM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest

# Not part of `make test`: it takes 20-30 minutes at scale 1. Tables go to bench/results/ (ignored by git).
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk is not installed: the Python load generator is used (it takes CPU from the server; install wrk)"
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
