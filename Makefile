# mockarray: `make run` serves the demo lab, `make test` runs the tests.
# Both bootstrap .venv on a fresh clone; nothing else needs installing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# pytest-xdist workers: each has its own app, database, ports and temp dirs.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal
# The tests start many Python processes (workers, servers, commands): each reads
# the bytecode the first one wrote instead of compiling again, whatever the shell says.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install migrate seed-demo run test test-postgres lint format clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/mockarray db upgrade

seed-demo: migrate
	$(BIN)/mockarray seed --demo --if-empty

# mockarray serve migrates the database and seeds the demo lab when it is empty.
run: install
	exec $(BIN)/mockarray serve --demo

test: install
	$(PYTEST)

test-postgres: install
	MOCKARRAY_TEST_DATABASE_URL=$(POSTGRES_URL) $(PYTEST)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache
