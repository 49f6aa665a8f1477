# Source me: the Airflow settings of a local Marsad install (used by make run/demo and the tests).
# AIRFLOW_HOME lives inside the repo (git-ignored); SQLite metadata DB; LocalExecutor sized for 2 cores.
MARSAD_REPO="${MARSAD_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export MARSAD_REPO
export AIRFLOW_HOME="${AIRFLOW_HOME:-$MARSAD_REPO/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$MARSAD_REPO/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$MARSAD_REPO/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG="${AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG:-4}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}"
export MARSAD_LAKE="${MARSAD_LAKE:-$MARSAD_REPO/data/lake}"
export PATH="$MARSAD_REPO/.venv/bin:$PATH"
