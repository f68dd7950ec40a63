# One entry point. Every target sets up what it needs by itself (idempotent), so a fresh machine
# only needs `make e2e` or `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
ALLURE := .tools/node_modules/.bin/allure
REPORTS := reports
WORKERS ?= 2
# Bytecode caches on: the suites start hundreds of Python processes (every e2e run of the self-test is
# three), and without pytest's cached assertion rewrites each one re-parses every test module and
# plugin package (hypothesis alone costs seconds on a loaded machine). Some images set this variable.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup e2e test test-hog unit lint typecheck format report twin clean

setup: .venv/.installed .tools/.installed .system/.installed

# The project itself, editable, with the checkout's tools (extra dev): its pytest11 entry point loads the
# harness plugin here as in a team's repository.
.venv/.installed: pyproject.toml setup.py constraints.txt
	python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# Allure 2 (allure-commandline): honours categories.json and ALLURE_NO_ANALYTICS, single-file output.
# aws-jwt-verify: AWS's own Cognito JWT verifier, the independent check of the twin's tokens (both issuer types).
NPM_PACKAGES := allure-commandline@2.46.1 aws-jwt-verify@5.2.1
.tools/.installed: Makefile
	mkdir -p .tools
	cd .tools && npm install --silent --no-audit --no-fund --save-exact --prefix . $(NPM_PACKAGES) >/dev/null
	touch $@

# Debian packages: Chromium for the browser checks, a JRE for Allure 2, libltdl7 for mssql-python's
# ODBC provider, wrk for the benchmarks.
DEBIAN_PACKAGES := chromium default-jre-headless libltdl7 wrk
.system/.installed:
	@if ! dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; fi
	mkdir -p .system && touch $@

# Main job: the e2e suite against the local twin (started and stopped by the suite), with its report.
# With AWS's timing on: late logs and JWKS caching are the twin's defaults, propagation delay is set here (the
# self-test keeps it off: it sleeps a fixed time after each fault).
# The job summary goes to reports/job-summary.md; the report appends its line.
e2e: setup
	rm -rf $(REPORTS)/allure-results $(REPORTS)/job-summary.md
	TWIN_GATEWAY_PROPAGATION_DELAY_S=2 $(PYTEST) tests/e2e -n $(WORKERS) --alluredir $(REPORTS)/allure-results \
	  --job-summary $(REPORTS)/job-summary.md $(E2E_ARGS); rc=$$?; \
	  $(MAKE) --no-print-directory report; exit $$rc

# The single-file report, with the history of the runs before it (reports/allure-history: the Trend panel).
report:
	$(PY) -m fixtures.allure_report --results $(REPORTS)/allure-results --history $(REPORTS)/allure-history \
	  --out $(REPORTS)/allure-report --allure $(ALLURE) --job-summary $(REPORTS)/job-summary.md

# The project's own tests: lint, format check and type check, then everything under tests/ (unit, twin, e2e
# against the twin, self-test, load).
test: setup lint typecheck
	$(PYTEST) -n $(WORKERS) $(TEST_ARGS)

# The fast loop: the harness's own unit tests (no twin started, about a minute on 2 cores).
unit: setup
	$(PYTEST) -n $(WORKERS) tests/unit $(TEST_ARGS)

# The same, HOG_RUNS times in a row with a busy loop on every core: the tests must stay deterministic on a
# loaded 2-core machine (bench/under_cpu_hog.py prints each run's exit code and wall time).
HOG_RUNS ?= 3
test-hog: setup
	$(PY) bench/under_cpu_hog.py --runs $(HOG_RUNS) -- $(MAKE) --no-print-directory test

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# mypy, strict on fixtures/ and twin/, relaxed on tests/ (pyproject.toml); the backend Lambda is its own import
# root (its zip's top level is learninghub_api/), so it is checked from its folder with the same strictness.
typecheck: setup
	.venv/bin/mypy
	cd twin/backend && ../../.venv/bin/mypy --config-file= --strict --python-version 3.11 --explicit-package-bases --ignore-missing-imports --no-error-summary .

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

twin: setup
	$(PY) -m twin up

clean:
	rm -rf .venv .tools .system .twin $(REPORTS)
