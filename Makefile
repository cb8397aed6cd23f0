# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
HOST ?= 127.0.0.1
PORT ?= 8700

# The date-sensitive tests run again at these clocks (.ci/run): a year with no holiday notice
# loaded, and the first days of a year (inspections of last year, reports of this one).
MOVED_CLOCKS ?= 2027-06-15T02:00:00Z 2028-01-02T02:00:00Z

.PHONY: demo test test-dates bench soak install clean

# Debian's PostgreSQL server for the integration suite's second pass (tests/support/postgres.py
# starts its own cluster in a temp folder; the package's own cluster is not used, and is stopped).
$(STAMP): pyproject.toml
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q postgresql \
	  && (service postgresql stop || true))
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Two processes for the unit and integration tests (each test makes its own server, files and
# ports), then the tablet's browser tests one at a time: two Flutter renderers on a 2-core
# machine starve each other. worksteal: a worker that runs out takes pending tests from the
# other, so the run does not end on one worker's queue of long integration tests.
WORKERS ?= 2
DIST ?= worksteal

# The integration suite runs twice: on SQLite (with the unit tests), then on PostgreSQL
# (SUIJIAN_TEST_ENGINE, tests/support/engine.py) without the tests about SQLite itself and those
# that touch no server database (engine_free: they would run the same code twice).
PG_PASS := SUIJIAN_TEST_ENGINE=postgresql
NOT_SQLITE := -m "not sqlite_only and not engine_free"

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist $(DIST) --ignore=tests/e2e
	$(PG_PASS) $(BIN)/python -m pytest -q -n $(WORKERS) --dist $(DIST) $(NOT_SQLITE) tests/integration
	$(BIN)/python -m pytest -q tests/e2e

test-dates: $(STAMP)
	@for at in $(MOVED_CLOCKS); do \
	  echo "== tests marked 'dates' with SUIJIAN_CLOCK=$$at"; \
	  SUIJIAN_CLOCK=$$at $(BIN)/python -m pytest -q -n $(WORKERS) --dist $(DIST) -m dates --ignore=tests/e2e || exit 1; \
	  SUIJIAN_CLOCK=$$at $(PG_PASS) $(BIN)/python -m pytest -q -n $(WORKERS) --dist $(DIST) \
	    -m "dates and not sqlite_only and not engine_free" tests/integration || exit 1; \
	  SUIJIAN_CLOCK=$$at $(BIN)/python -m pytest -q -m dates tests/e2e || exit 1; \
	done

demo: $(STAMP)
	$(BIN)/python -m demo --dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench

# The fault campaign (docs/BENCHMARKS.md): RUNS randomized runs, or fewer if MINUTES run out.
RUNS ?= 1000
soak: $(STAMP)
	$(BIN)/python -m bench.soak --runs $(RUNS) $(if $(MINUTES),--minutes $(MINUTES))

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
