# bluecarbon: the two commands a newcomer needs are `make demo` and `make test`.
# Both create their virtual environment from uv.lock when it is missing (scripts/bootstrap.sh
# finds a Python >= 3.12 and a pinned uv), then run.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
TEST_VENV ?= .venv-test
PYTEST_ARGS ?=
# `make test` leaves out the tests marked slow (full monitoring runs of their own, the dask
# cluster, the notebooks, S3): CI (CI=true) and `make test-all` run everything.
SLOW := $(if $(filter true 1,$(CI)),,-m "not slow")

.PHONY: help demo test test-all setup setup-test lint format docs bench manifest lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Create/refresh the runtime environment (.venv) from uv.lock
	@scripts/bootstrap.sh $(VENV)

setup-test: ## Create/refresh the test environment (.venv-test: runtime + test + notebooks extras)
	@scripts/bootstrap.sh $(TEST_VENV) --extra test --extra notebooks

demo: setup ## Run the monitoring pipeline on the bundled data and publish a release
	@$(VENV)/bin/bluecarbon run

test: setup-test ## Run the test suite (all of it with CI=true; else all but the tests marked slow)
	@$(TEST_VENV)/bin/python -m pytest $(SLOW) $(PYTEST_ARGS)

test-all: setup-test ## Run the whole test suite, slow tests included (what CI runs)
	@$(TEST_VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: setup-test ## ruff (lint + format check) and mypy
	@$(TEST_VENV)/bin/ruff check bluecarbon flows tests benchmarks
	@$(TEST_VENV)/bin/ruff format --check bluecarbon flows tests benchmarks
	@$(TEST_VENV)/bin/mypy

format: setup-test ## Apply ruff formatting and safe fixes
	@$(TEST_VENV)/bin/ruff check --fix bluecarbon flows tests benchmarks
	@$(TEST_VENV)/bin/ruff format bluecarbon flows tests benchmarks

docs: setup-test ## Build the documentation site into site/
	@$(TEST_VENV)/bin/mkdocs build --strict

bench: setup-test ## Run the benchmarks (prints figures and ratios)
	@$(TEST_VENV)/bin/python -m benchmarks

manifest: setup ## Rebuild data/raw/MANIFEST after a deliberate change to data/raw
	@$(VENV)/bin/python scripts/build_manifest.py

lock: ## Re-resolve uv.lock after editing dependencies in pyproject.toml
	@scripts/bootstrap.sh $(VENV) >/dev/null
	@UV_PYTHON_DOWNLOADS=never .tools/bin/uv lock --python .tools/bin/python

clean: ## Remove generated data (store, work, catalog) and the environments
	rm -rf data/store data/work .prefect $(VENV) $(TEST_VENV) .tools site
	find data/catalog -mindepth 1 ! -name README.md -exec rm -rf {} +
