# Marsad: `make run` (Airflow standalone, live outlets), `make demo` (offline mirror, 3 hourly runs),
# `make test` (default test suite). Everything installs into .venv from requirements.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv run demo test test-fast test-e2e bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: venv
	bash scripts/airflow_init.sh
	source scripts/airflow_env.sh && \
	  echo "Airflow UI: http://localhost:8080  (user admin; password in $$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)" && \
	  airflow standalone

demo: venv
	bash scripts/airflow_init.sh
	source scripts/airflow_env.sh && $(PY) scripts/demo.py

# the default suite: unit + DAG tests + the end-to-end tests (live Airflow processes, headless Chromium)
test: venv
	bash scripts/install_test_deps.sh
	$(PY) -m pytest -q tests

test-fast: venv
	$(PY) -m pytest -q -m "not e2e" tests

test-e2e: venv
	bash scripts/install_test_deps.sh
	$(PY) -m pytest -q -m e2e tests

bench: venv
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf .airflow data/lake
