# Two commands for a new user: `make run` (install, seed, run end to end) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/data
# The default demo window: 100 days at scale 0.1 (100 stores, ~10k order lines a day).
RUN_START ?= 2025-01-01
RUN_END ?= 2025-04-10
RUN_SCALE ?= 0.1

export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export PROD_PIPELINES_DATA_DIR := $(DATA_DIR)

.PHONY: install browser run test dev bench clean

$(BIN)/prod-pipelines: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/prod-pipelines

run: install
	$(BIN)/prod-pipelines seed --start $(RUN_START) --end $(RUN_END) --scale $(RUN_SCALE)
	$(BIN)/prod-pipelines backfill --start $(RUN_START) --end $(RUN_END)

# The browser tests drive Debian's chromium; install it from the distribution when it is missing.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install browser
	$(BIN)/python -m pytest

dev: install
	$(BIN)/prod-pipelines dev

# The benchmark (not a test): SF 0.1 and SF 1 by default, `make bench BENCH_ARGS=--sf3` adds SF 3.
# Writes docs/benchmarks.md.
bench: install
	$(BIN)/python -m prod_pipelines.bench $(BENCH_ARGS)

clean:
	rm -rf $(DATA_DIR) dbt_project/target dbt_project/logs
