# One entry point: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PEERS  := .peers-venv
PEERS_STAMP := $(PEERS)/.installed-stamp
DEMO_STORE := sqlite:///$(CURDIR)/.jobsmith/demo.db

.PHONY: demo test lint format bench system-packages services clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: set up, run the example jobs on the embedded SQLite store, show what ran
demo: $(STAMP)
	cd examples && JOBSMITH_STORE=$(DEMO_STORE) ../$(BIN)/python hello.py
	JOBSMITH_STORE=$(DEMO_STORE) $(BIN)/jobsmith runs --limit 5
	JOBSMITH_STORE=$(DEMO_STORE) $(BIN)/jobsmith runs show latest

## system-packages: what the tests need from Debian (R, Graphviz); idempotent
system-packages:
	bash scripts/system-packages.sh

## services: start PostgreSQL and MariaDB if they are down
services:
	bash scripts/services.sh

## test: the whole suite (lint included) against real SQLite, PostgreSQL, R, SMTP
test: $(STAMP) system-packages services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
		apscheduler==3.11.3 croniter==7.0.0 -e .
	touch $(PEERS_STAMP)

clean:
	rm -rf $(VENV) $(PEERS) .jobsmith .pytest_cache .ruff_cache
