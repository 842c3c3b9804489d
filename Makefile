# Caseflow. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
LOAD_STAMP := $(VENV)/.installed-load
DEV_ENV := CASEFLOW_DEBUG=true

.PHONY: run test fuzz lint format stack bench loadtest migrate messages check-python clean help

help:
	@echo "make run    - demo server with fictional data on http://127.0.0.1:8000 (SQLite, eager Celery)"
	@echo "make test   - the whole suite on throwaway PostgreSQL + Redis + a real Celery worker"
	@echo "make fuzz   - the property tests with new random examples, many more of them (Hypothesis fuzz profile)"
	@echo "make lint   - ruff"
	@echo "make stack  - production topology on loopback: PostgreSQL, Redis, gunicorn, Celery worker and beat"
	@echo "make bench  - benchmarks of design.md §7 at 100k and 1M cases (about 17 min), writes BENCHMARKS.md"
	@echo "make messages - refresh and compile the Danish catalogue"
	@echo "make audit-deps - pip-audit of the installed dependencies against PyPI's advisories"
	@echo "make loadtest - locust against make stack's topology for 2 minutes, writes its section of BENCHMARKS.md"

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
	$(DEV_ENV) $(PY) manage.py statistics_refresh
	@echo "Caseflow demo: http://127.0.0.1:8000  (sign in with a demo login above; Ctrl-C stops)"
	@$(DEV_ENV) $(PY) manage.py timers_loop --interval 60 & TIMERS=$$!; \
	trap 'kill $$TIMERS 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP)
	$(PY) scripts/run_tests.py $(PYTEST_ARGS)

# Hypothesis's "fuzz" profile (tests/conftest.py): random seeds, 5000 examples where a test
# does not fix its own count. `make test` uses the derandomised "ci" profile.
FUZZ_TESTS ?= tests/reports/test_suppression.py tests/reports/test_statistics_figures.py \
	tests/reports/test_statistics_page_property.py tests/permissions/test_visibility_property.py \
	tests/people/test_ages.py tests/intake/test_schema.py
fuzz: $(DEV_STAMP)
	HYPOTHESIS_PROFILE=fuzz $(PY) scripts/run_tests.py $(FUZZ_TESTS) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check --no-cache .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .

bench: $(DEV_STAMP)
	$(PY) scripts/bench.py $(BENCH_ARGS)

stack: $(RUNTIME_STAMP)
	$(PY) scripts/stack.py

$(LOAD_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[load]"
	@touch $@ $(RUNTIME_STAMP)

loadtest: $(LOAD_STAMP)
	$(PY) scripts/loadtest.py $(LOADTEST_ARGS)

migrate: $(RUNTIME_STAMP)
	$(DEV_ENV) $(PY) manage.py migrate --noinput

messages: $(DEV_STAMP)
	$(DEV_ENV) $(PY) manage.py makemessages --locale da --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(DEV_ENV) $(PY) manage.py compilemessages --locale da --ignore '.venv/*'

# pip-audit of what is installed (our own editable package left out). --strict: a
# dependency that could not be looked up fails the audit instead of passing unaudited.
# Network trouble is retried (AUDIT_TRIES times, AUDIT_TIMEOUT seconds per request);
# an accepted advisory is listed in AUDIT_IGNORE as "--ignore-vuln ID" with its reason.
# AUDIT_ALLOW_UNAVAILABLE=1 turns "could not audit" into a warning (never a found vulnerability).
AUDIT_TRIES ?= 3
AUDIT_TIMEOUT ?= 60
AUDIT_IGNORE ?=
audit-deps: $(DEV_STAMP)
	@for try in $$(seq 1 $(AUDIT_TRIES)); do \
	  out=$$($(VENV)/bin/pip-audit --skip-editable --strict --progress-spinner off --desc on \
	        --timeout $(AUDIT_TIMEOUT) $(AUDIT_IGNORE) 2>&1); code=$$?; \
	  if [ $$code -eq 0 ]; then echo "$$out"; exit 0; fi; \
	  if echo "$$out" | grep -q -E "^Found [0-9]+ known vulnerabilit"; then echo "$$out"; exit 1; fi; \
	  echo "audit-deps: try $$try of $(AUDIT_TRIES) could not complete:"; echo "$$out" | tail -5; \
	  [ $$try -lt $(AUDIT_TRIES) ] && sleep $$((try * 10)); \
	done; echo "audit-deps: the dependencies could not be audited (PyPI unreachable?)" >&2; \
	if [ "$(AUDIT_ALLOW_UNAVAILABLE)" = "1" ]; then echo "audit-deps: WARNING: not audited" >&2; exit 0; fi; exit 2

clean:
	rm -rf var/test-* var/static
