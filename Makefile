# Zhishu (智枢): `make demo` and `make test` are the two entry points; everything else supports them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
SUPERSET_VENV := .venv-superset
BIN := $(CURDIR)/$(VENV)/bin
SUPERSET_BIN := $(CURDIR)/$(SUPERSET_VENV)/bin

# Secrets live in the git-ignored .env, generated with random values on first use (make rebuilds it,
# then restarts itself so the values are loaded).
include .env
export

.env: scripts/ensure_env.py
	@$(PYTHON) scripts/ensure_env.py .env
	@touch .env

export ZHISHU_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(ZHISHU_DATA_DIR)/dagster_home
export ZHISHU_WAREHOUSE ?= duckdb
export DBT_TARGET ?= $(ZHISHU_WAREHOUSE)
SEED ?= 42
SCALE ?= 1.0
DAGSTER_PORT ?= 3000
export SUPERSET_PORT ?= 8088

.PHONY: help install system-deps env data dbt-manifest materialize superset-up demo live test docs stop clean

help:
	@echo "make demo   - install, generate data, materialize everything, start Dagster (:$(DAGSTER_PORT)) and Superset (:$(SUPERSET_PORT))"
	@echo "make test   - install and run the whole test suite"
	@echo "make docs   - build the dbt docs site (lineage, columns, metrics)"
	@echo "make live   - stream live source traffic (events, orders, tickets, payments) until interrupted"
	@echo "make stop   - stop the UIs started by make demo"

# --- installation ---------------------------------------------------------------------------------

$(VENV)/.installed: requirements/pipeline.txt requirements/test.txt requirements/constraints.txt pyproject.toml
	@echo "==> pipeline venv ($(VENV))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip==25.3
	$(BIN)/pip install --quiet --progress-bar off -c requirements/constraints.txt \
		-r requirements/pipeline.txt -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(SUPERSET_VENV)/.installed: superset/requirements.txt superset/constraints.txt
	@echo "==> Superset venv ($(SUPERSET_VENV))"
	$(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_BIN)/pip install --quiet --disable-pip-version-check pip==25.3
	$(SUPERSET_BIN)/pip install --quiet --progress-bar off -c superset/constraints.txt -r superset/requirements.txt
	touch $@

# Debian's Chromium drives the browser tests; browser downloads are impossible here.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "==> installing chromium and chromium-driver"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

install: $(VENV)/.installed $(SUPERSET_VENV)/.installed system-deps env

env: .env
	@mkdir -p $(DAGSTER_HOME)
	@cp -n orchestration/dagster_home/dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true

# --- demo -----------------------------------------------------------------------------------------

data: $(VENV)/.installed
	@if [ ! -f $(ZHISHU_DATA_DIR)/source/ground_truth.json ]; then \
		$(BIN)/python -m simulator generate --seed $(SEED) --scale $(SCALE); \
	else echo "==> source data present in $(ZHISHU_DATA_DIR)/source (delete it to regenerate)"; fi

# The dbt manifest is built here (never parsed at import time by the code location).
dbt-manifest: $(VENV)/.installed env
	$(BIN)/dagster-dbt project prepare-and-package --file orchestration/dbt_project.py

materialize: install data dbt-manifest
	@echo "==> materializing every asset on $(ZHISHU_WAREHOUSE)"
	$(BIN)/dagster asset materialize --select '*' -m orchestration.definitions

superset-up: $(SUPERSET_VENV)/.installed env
	$(SUPERSET_BIN)/python superset/manage.py init
	$(SUPERSET_BIN)/python superset/manage.py import
	$(SUPERSET_BIN)/python superset/manage.py start

demo: materialize superset-up
	@bash scripts/start_uis.sh

# Keep appending events, orders, tickets and payments in real time (about 50 events/s) for freshness.
live: $(VENV)/.installed
	$(BIN)/python -m simulator live --rate 50

stop:
	@bash scripts/stop_uis.sh
	@if [ -x $(SUPERSET_BIN)/python ]; then $(SUPERSET_BIN)/python superset/manage.py stop || true; fi

docs: $(VENV)/.installed env
	mkdir -p $(ZHISHU_DATA_DIR)/warehouse
	cd dbt_project && ZHISHU_DUCKDB_PATH=$${ZHISHU_DUCKDB_PATH:-$(ZHISHU_DATA_DIR)/warehouse/zhishu.duckdb} $(BIN)/dbt docs generate --profiles-dir . --target $(DBT_TARGET)
	@echo "dbt docs: $(CURDIR)/dbt_project/target/index.html (serve with: cd dbt_project && $(BIN)/dbt docs serve --profiles-dir .)"

# --- tests ----------------------------------------------------------------------------------------

# Tests build their own warehouses in temporary folders: the demo's settings are not passed on.
test: install dbt-manifest
	env -u ZHISHU_DATA_DIR -u DAGSTER_HOME -u ZHISHU_WAREHOUSE -u DBT_TARGET -u SUPERSET_PORT $(BIN)/pytest

clean: stop
	rm -rf $(ZHISHU_DATA_DIR) dbt_project/target dbt_project/logs test-artifacts
