# Caseflow. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
DEV_ENV := CASEFLOW_DEBUG=true

.PHONY: run test lint format stack bench migrate messages check-python clean help

help:
	@echo "make run    - demo server with fictional data on http://127.0.0.1:8000 (SQLite, eager Celery)"
	@echo "make test   - the whole suite on throwaway PostgreSQL + Redis + a real Celery worker"
	@echo "make lint   - ruff"
	@echo "make stack  - production topology on loopback: PostgreSQL, Redis, gunicorn, Celery worker and beat"
	@echo "make bench  - benchmarks of design.md §7 at 100k and 1M cases (about 17 min), writes BENCHMARKS.md"
	@echo "make messages - refresh and compile the Danish catalogue"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Caseflow needs Python 3.11 or newer (set PYTHON=...)")'

$(VENV)/bin/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)
	@mkdir -p var/static
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Caseflow demo: http://127.0.0.1:8000  (sign in with a demo login above; Ctrl-C stops)"
	@$(DEV_ENV) $(PY) manage.py timers_loop --interval 60 & TIMERS=$$!; \
	trap 'kill $$TIMERS 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP)
	$(PY) scripts/run_tests.py $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check --no-cache .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .

bench: $(DEV_STAMP)
	$(PY) scripts/bench.py $(BENCH_ARGS)

stack: $(RUNTIME_STAMP)
	$(PY) scripts/stack.py

migrate: $(RUNTIME_STAMP)
	$(DEV_ENV) $(PY) manage.py migrate --noinput

messages: $(DEV_STAMP)
	$(DEV_ENV) $(PY) manage.py makemessages --locale da --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(DEV_ENV) $(PY) manage.py compilemessages --locale da --ignore '.venv/*'

clean:
	rm -rf var/test-* var/static
