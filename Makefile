# Two commands for a new user: `make run` (install, seed, run end to end) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/data
# The demo lives in the present: the 100 days ending yesterday (dev's partitions, config/dev.yaml), at
# scale 0.1 (100 stores, ~10k order lines a day). RUN_START / RUN_END (YYYY-MM-DD) choose other days.
RUN_SCALE ?= 0.1
RUN_RANGE = $(if $(RUN_START),--start $(RUN_START)) $(if $(RUN_END),--end $(RUN_END))
# What the export contracts are compared with: the previous commit; a pull request's CI passes origin/main.
CONTRACTS_BASE ?= HEAD~1

export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export PROD_PIPELINES_DATA_DIR := $(DATA_DIR)

.PHONY: install lock lint contracts browser run test dev docs bench clean

$(BIN)/prod-pipelines: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]' -c constraints.txt
	$(BIN)/prod-pipelines prepare
	touch $@

install: $(BIN)/prod-pipelines

# Pins every installed version into constraints.txt, after a change to pyproject.toml's dependencies.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	{ echo "# The exact versions two fresh clones install (make install passes it to pip as -c)."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^-e\|^prod-pipelines'; } > constraints.txt

# What a reviewer runs: the linter, Dagster's own load check, dbt's parse with its JSON-schema validation.
lint: install
	$(BIN)/ruff check prod_pipelines prod_pipelines_tests
	$(BIN)/dg check defs
	cd dbt_project && DBT_ENV_PRIVATE_RUN_JSONSCHEMA_VALIDATIONS=True ../$(BIN)/dbt parse --quiet \
	  --warn-error-options '{"error": ["Deprecations"]}' --target-path $(CURDIR)/.tmp_lint_target --log-path $(CURDIR)/.tmp_lint_target
	rm -rf .tmp_lint_target
	$(MAKE) --no-print-directory contracts

# Fails when a change breaks an export version a consumer is pinned to, naming the consumers (docs/runbook.md).
contracts: install
	@if git rev-parse --verify -q '$(CONTRACTS_BASE)^{commit}' >/dev/null; then \
	  $(BIN)/prod-pipelines contracts --against '$(CONTRACTS_BASE)'; \
	else echo "contracts: $(CONTRACTS_BASE) is not a revision here (a shallow clone?); nothing to compare with"; fi

run: install
	$(BIN)/prod-pipelines seed $(RUN_RANGE) --scale $(RUN_SCALE)
	$(BIN)/prod-pipelines backfill $(RUN_RANGE)

# The browser tests drive Debian's chromium; install it from the distribution when it is missing.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install browser lint
	$(BIN)/python -m pytest

dev: install
	$(BIN)/prod-pipelines dev

# The dbt docs site (lineage graph, every model, column and test), built offline into <data dir>/dbt-docs.
docs: install
	$(BIN)/prod-pipelines docs

# The benchmark (not a test): SF 0.1 and SF 1 by default, `make bench BENCH_ARGS=--sf3` adds SF 3.
# Writes docs/benchmarks.md.
bench: install
	$(BIN)/python -m prod_pipelines.bench $(BENCH_ARGS)

clean:
	rm -rf $(DATA_DIR) dbt_project/target dbt_project/logs
