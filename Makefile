# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCES := forumbot tests bench train.py

.PHONY: setup browsers demo test lint format bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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
	$(BIN)/pip install --quiet -e '.[test,bench]'
	for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
