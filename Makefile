# One entry point: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PEERS  := .peers-venv
PEERS_STAMP := $(PEERS)/.installed-stamp
LOCK   := requirements/dev.lock
UV     := uv==0.13.8
DEMO_STORE := sqlite:///$(CURDIR)/.jobsmith/demo.db

.PHONY: demo test lint format lock lock-upgrade bench bench-queue system-packages services screenshots clean

# The exact versions in the lock, then jobsmith itself without re-resolving anything.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

## lock: pin the versions of pyproject.toml's ranges (dev, postgres, mysql) in
## requirements/dev.lock, keeping today's pins where they still fit; lock-upgrade takes
## the newest versions the ranges allow
LOCK_COMPILE = $(BIN)/uv pip compile pyproject.toml --extra dev --universal \
	--python-version 3.11 --no-header --quiet -o $(LOCK)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(LOCK_COMPILE)
lock-upgrade:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(LOCK_COMPILE) --upgrade

## demo: set up, then run one example of each kind on the embedded SQLite store and show
## the run log they all share
DEMO := JOBSMITH_STORE=$(DEMO_STORE)
demo: $(STAMP)
	rm -f $(CURDIR)/.jobsmith/demo.db*
	@echo "== a job run now (robojob's go())"
	cd examples && $(DEMO) ../$(BIN)/python hello.py
	@echo "== a goal graph (DoJobber): retries interleaved, cleanups last in first out"
	cd examples && $(DEMO) ../$(BIN)/python movie_night.py -v --battery-state charged --couch-space
	@echo "== a flow that reverts and retries (TaskFlow)"
	cd examples && $(DEMO) ../$(BIN)/python server_flow.py
	@echo "== the queue (JobMaster): post jobs, then a worker drains them"
	cd examples/queue && $(DEMO) ../../$(BIN)/python posting.py
	cd examples/queue && $(DEMO) ../../$(BIN)/jobsmith worker -m nice_tasks --burst
	@echo "== the run log: every run, whatever started it"
	$(DEMO) $(BIN)/jobsmith runs --limit 12
	$(DEMO) $(BIN)/jobsmith runs show latest

## system-packages: what the tests need from Debian (R, Graphviz); idempotent
system-packages:
	bash scripts/system-packages.sh

## services: start PostgreSQL and MariaDB if they are down
services:
	bash scripts/services.sh

## test: the whole suite (lint and types included) against real SQLite, PostgreSQL, R, SMTP
test: $(STAMP) system-packages services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

## lint: ruff, then mypy (what it checks and how strictly: [tool.mypy] in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## screenshots: the browser tests again, saving the dashboard's pictures into docs/
screenshots: $(STAMP) system-packages services
	JOBSMITH_SCREENSHOTS=docs $(BIN)/pytest -q tests/acceptance/test_dashboard_browser.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the benchmarks in bench/ (not tests); see bench/README.md
bench: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python bench/execute_overhead.py
	flock /tmp/jobsmith-bench.lock $(PEERS)/bin/python bench/graph_vs_dojobber.py
	flock /tmp/jobsmith-bench.lock $(PEERS)/bin/python bench/flow_vs_taskflow.py
	flock /tmp/jobsmith-bench.lock $(PEERS)/bin/python bench/task_kinds.py
	flock /tmp/jobsmith-bench.lock $(PEERS)/bin/python bench/schedule_times.py

# Peer projects, for comparison only: never jobsmith dependencies.
$(PEERS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --upgrade pip
	$(PEERS)/bin/pip install --quiet dojobber==0.6.3 taskflow==6.5.0 \
		invoke==3.0.3 plumbum==2.0.2 luigi==3.8.1 aiosmtpd==1.4.6 \
		apscheduler==3.11.3 croniter==7.0.0 \
		pgqueuer==1.6.0 procrastinate==3.10.0 huey==3.5.4 jobmaster==0.1.1 \
		'psycopg[binary]==3.3.9' psycopg-pool asyncpg -e .
	touch $(PEERS_STAMP)

## bench-queue: jobsmith's queue beside PgQueuer, Procrastinate, Huey and JobMaster
## (the peer scripts in ../shared/peers), one after another, then the table with ratios;
## then the mixed workload and the priority run (bench/queue_mixed.py), with the peers
PEER_SCRIPTS ?= ../shared/peers
RESULTS := bench/results
bench-queue: $(STAMP) $(PEERS_STAMP)
	rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	flock /tmp/jobsmith-bench.lock sh -c '\
	  $(PEERS)/bin/python $(PEER_SCRIPTS)/pgqueuer_bench.py 2>/dev/null > $(RESULTS)/pgqueuer_run1.jsonl; \
	  $(PEERS)/bin/python $(PEER_SCRIPTS)/procrastinate_bench.py 2>/dev/null > $(RESULTS)/procrastinate_run1.jsonl; \
	  $(PEERS)/bin/python $(PEER_SCRIPTS)/huey_bench.py 2>/dev/null > $(RESULTS)/huey_run1.jsonl; \
	  $(PEERS)/bin/python $(PEER_SCRIPTS)/jobmaster_bench.py 2>/dev/null > $(RESULTS)/jobmaster_run1.jsonl; \
	  $(BIN)/python bench/queue_vs_peers.py all 2>/dev/null > $(RESULTS)/jobsmith_run1.jsonl; \
	  $(BIN)/python bench/queue_mixed.py --peers-python $(PEERS)/bin/python \
	    --peers-dir $(PEER_SCRIPTS) 2>/dev/null > $(RESULTS)/mixed_run1.jsonl'
	$(BIN)/python bench/summarize_queue.py $(RESULTS)

clean:
	rm -rf $(VENV) $(PEERS) .jobsmith .pytest_cache .ruff_cache .mypy_cache
