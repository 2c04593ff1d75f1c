# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCES := forumbot tests bench train.py

# The lock tool; only `make lock` needs it (installing needs just Python and pip).
UV_VERSION := 0.13.9
LOCK_ARGS ?=

.PHONY: setup browsers demo test lint format bench lock clean

## Install exactly what requirements.lock pins (runtime, test and bench, every file hashed),
## then the project itself; pyproject.toml keeps the ranges, `make lock` the pins.
$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m forumbot.web.catalogue --compile
	touch $@

setup: $(BIN)/.installed

## Sandbox forum + bot + web side on this machine (SQLite, the shipped model).
demo: setup
	$(BIN)/forumbot migrate
	$(BIN)/forumbot demo

## Debian's Chromium (and a CJK font for readable screenshots) for the browser tests.
browsers:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; \
	  else \
	    echo "the browser tests need Debian's chromium: sudo apt-get install chromium fonts-wqy-zenhei"; exit 1; \
	  fi; }

## Lint, then the test suite on SQLite, then again on PostgreSQL when
## FORUMBOT_TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
test: setup browsers lint
	env -u FORUMBOT_TEST_DATABASE_URL $(BIN)/pytest
	if [ -n "$$FORUMBOT_TEST_DATABASE_URL" ]; then $(BIN)/pytest; fi

lint: setup
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

format: setup
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

## Benchmarks; each prints one JSON line at the end.
bench: setup
	for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

## Refresh the pins after editing pyproject.toml (pins still allowed are kept). Upgrade:
## make lock LOCK_ARGS='--upgrade-package numpy'  (one package)  or  LOCK_ARGS=--upgrade  (all).
lock: $(BIN)/uv-$(UV_VERSION)
	$(BIN)/uv lock $(LOCK_ARGS)
	$(BIN)/uv export --quiet --frozen --all-extras --all-groups --no-emit-project \
	  --format requirements-txt --output-file requirements.lock

$(BIN)/uv-$(UV_VERSION):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
