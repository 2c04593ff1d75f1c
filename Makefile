# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCES := forumbot tests bench train.py

.PHONY: setup demo test lint format bench clean

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

## Lint, then the test suite on SQLite, then again on PostgreSQL when
## FORUMBOT_TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
test: setup lint
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
