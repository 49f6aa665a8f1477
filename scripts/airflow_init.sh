#!/usr/bin/env bash
# Prepare the repo-local AIRFLOW_HOME: migrate the metadata DB and create the marsad_crawl pool.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/airflow_env.sh"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { tail -20 "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
airflow pools set marsad_crawl 2 "Concurrent outlet crawls (2-core machine)" >/dev/null
echo "AIRFLOW_HOME=$AIRFLOW_HOME ready (SQLite, LocalExecutor, pool marsad_crawl=2)"
