# Each target bootstraps .venv itself, so a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench worker browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

# With REDIS_URL set, a Celery worker (with beat) runs beside the server and stops with it.
# Prefork workers run one task per process and Celery closes the connection pool after each
# task, so they connect per task (DB_POOL_MAX_SIZE=0); the server keeps its pool.
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
	  DB_POOL_MAX_SIZE=0 $(BIN)/celery -A pioneer_platform worker --beat --loglevel INFO --concurrency 2 & \
	  worker=$$!; trap "kill $$worker 2>/dev/null" EXIT; \
	fi; \
	echo "Serving on http://$(HOST):$(PORT)/"; \
	$(BIN)/daphne -b $(HOST) -p $(PORT) pioneer_platform.asgi:application

worker: $(VENV)/.runtime
	DB_POOL_MAX_SIZE=0 $(BIN)/celery -A pioneer_platform worker --beat --loglevel INFO

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "warning: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get)"; \
	  fi; \
	fi

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest -n auto --dist worksteal -p tests.xdist_redis $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev
	@for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-results
