# OneStop — the two commands are `make run` and `make test`; everything else here is a helper they use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-$(shell cat requirements/dev.txt pyproject.toml | cksum | cut -d' ' -f1)
ASSETS := onestop/static/vendor/.built-$(shell cat package-lock.json scripts/copy-assets.mjs | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup assets messages migrate seed lint bench clean help

help:
	@echo "make run   — set up, migrate, load demo data, serve http://$(HOST):$(PORT) with a task worker"
	@echo "make test  — set up, then run the whole test suite"
	@echo "make lint  — ruff, mypy, manage.py check, makemigrations --check, import-linter"
	@echo "make bench — benchmarks under bench/"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements/dev.txt pyproject.toml | $(PY)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(ASSETS): package.json package-lock.json scripts/copy-assets.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	rm -f onestop/static/vendor/.built-*
	touch $@

assets: $(ASSETS)

messages: $(STAMP)
	$(PY) manage.py compilemessages_py

setup: $(STAMP) assets messages

migrate: setup
	$(PY) manage.py migrate --noinput -v 0

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Starting the task worker and the web server on http://$(HOST):$(PORT) (Ctrl+C stops both)"
	@$(PY) manage.py run_worker --no-reload --no-startup-delay -v 0 & WORKER=$$!; \
	  (while true; do $(PY) manage.py platform_tick -v 0 || true; sleep 900; done) & TICK=$$!; \
	  trap "kill $$WORKER $$TICK 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/bandit -q -c pyproject.toml -r onestop config rulebook --severity-level high
	$(PY) tests/security/pip_audit_ci.py

bench: setup
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/bench.txt
	$(PY) bench/rules_bench.py

clean:
	rm -rf $(VENV) node_modules onestop/static/vendor staticfiles var
