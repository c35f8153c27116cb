# newsmon: `make run` for one monitoring pass, `make test` for the whole suite.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CONFIG ?= config/newsmon.yaml

.PHONY: run demo test test-chaos test-server lint bench install clean help

help:
	@echo "make run    - one monitoring pass with $(CONFIG) (SQLite corpus, local Prefect)"
	@echo "make demo   - the same pass, offline, against the sample site in demo/site"
	@echo "make test   - install test dependencies and run the suite (~8 min in 4 processes, TEST_WORKERS=N; the real-server tests: make test-server)"
	@echo "make test-chaos - kills, cancels and restarts on a real Prefect server (~4 min)"
	@echo "make test-server - the real-server tests (deployments, worker runs, chaos) and heavy passes (~7 min)"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - benchmarks (writes figures to stdout)"
	@echo "make install - only create .venv and install newsmon with its test tools (make run does it)"
	@echo "make clean  - remove .venv and tool caches (data/, the corpus, is kept)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+) on PATH, or set PYTHON=..."; exit 1; }
	@# a venv that failed half-way (Debian without python3.11-venv: no ensurepip) leaves
	@# $(BIN)/python behind, which make would take as done: it goes, so the next make starts over
	@echo "$(PYTHON) -m venv $(VENV)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: could not create $(VENV) with\
	 $(PYTHON) (Debian/Ubuntu: apt install python3.11-venv), then make again"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# exit 5 (the pass ran and failed: every feed failed, as offline) is reported, not make's error:
# the summary above says what failed; `newsmon run` itself still exits 5 for a scheduler.
# Prefect's INFO lines (temporary server, each task finished, the pass's own summary again)
# buried that summary: warnings and errors only, unless PREFECT_LOGGING_LEVEL is set.
run: $(STAMP)
	@PREFECT_LOGGING_LEVEL=$${PREFECT_LOGGING_LEVEL:-WARNING} \
	$(BIN)/newsmon run --config $(CONFIG); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make run: the pass ran but failed (newsmon exit 5, see above)"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

# The suite in TEST_WORKERS processes (pytest-xdist), each taking whole test files: a file's
# fixtures, servers and Prefect harness stay in one process. TEST_WORKERS=0 runs it in one. Four
# on two cores: the tests mostly wait (late servers, timeouts, child processes), 8 min against 12 in two.
TEST_WORKERS ?= 4
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-chaos: $(STAMP)
	NEWSMON_TEST_CHAOS=1 $(BIN)/python -m pytest tests/integration/test_prefect_chaos.py $(PYTEST_ARGS)

# everything on a real Prefect server: the deployments as declared, worker runs, and the chaos tests
test-server: $(STAMP)
	NEWSMON_TEST_SERVER=1 NEWSMON_TEST_CHAOS=1 NEWSMON_TEST_HEAVY=1 $(BIN)/python -m pytest \
		tests/integration/test_prefect_server.py tests/integration/test_prefect_chaos.py \
		tests/integration/test_page_bodies_memory.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src flows tests demo bench deployments
	$(BIN)/ruff format --check src flows tests demo bench deployments
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
