"""marsad_hourly: crawl → process → validate → publish, one mapped task per outlet.

Thin wiring only: every step calls a function of ``marsad.pipeline``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import (
    CronDataIntervalTimetable,
    DeadlineAlert,
    DeadlineReference,
    Param,
    SyncCallback,
    dag,
    get_current_context,
    task,
)

from marsad_callbacks import MarsadFailureNotifier, on_hourly_late

# Deadline alert: a run not finished this long after it was queued alerts the operator.
# MARSAD_HOURLY_DEADLINE_MINUTES=0 disables it: Airflow 3.3.2's dag.test()/`airflow dags test` crash on
# DAGs with a deadline (DeadlineAlertModel.get_by_id receives a dict), so the demo and tests turn it off.
LATE_AFTER = timedelta(minutes=int(os.environ.get("MARSAD_HOURLY_DEADLINE_MINUTES", "50")))

DOC = """
### Marsad hourly crawl
Every hour (UTC) for the interval that just ended, per enabled outlet of `seeds/outlets.yaml`
(`$MARSAD_OUTLETS`), each mapped task named after the outlet id:

1. **crawl** – discovers article URLs (feeds, sitemaps, listing pages), fetches them politely
   (robots.txt, per-host delay, retries) and stores every response in
   `raw/outlet=<id>/date=…/hour=…/<id>-<interval>.warc.gz`. If that capture already exists (a re-run or
   a backfill), nothing is fetched: later steps re-derive everything from the capture.
2. **process** – extracts title/body/date/language, cleans Arabic text, tags topics.
3. **validate** – runs the `articles` Great Expectations suite; bad rows go to quarantine with reason
   codes; a critical batch failure fails this task (no retry) and nothing is published for the outlet-hour.
4. **publish** – atomically replaces the outlet-hour's files under `articles/`, `quarantine/`, `fetch_log/`
   and writes the run manifest under `runs/`.

**When a task fails**: the map index shows the outlet. A failing crawl usually means the outlet is down
or blocks us – check `fetch_log` for the failure class; the other outlets are unaffected. Clear the
task to retry. Manual runs take `outlets` (subset of ids) and `dry_run` (publish nothing) as parameters;
a manual run with logical date T works on the last complete hour before T.
A run still unfinished 50 minutes after it was queued raises a *MARSAD LATE* alert; failures raise a
*MARSAD FAILURE* alert (task log, and the `marsad_alerts` HTTP connection as webhook if defined).
"""


def _interval_start() -> datetime:
    from marsad.pipeline import as_interval_start

    ctx = get_current_context()
    start = ctx.get("data_interval_start")
    if start is None:  # manual run without a logical date: the last complete hour before run_after
        run_after = getattr(ctx.get("dag_run"), "run_after", None)
        return as_interval_start(None, now=run_after)
    return as_interval_start(start)


def _name_map_index(outlet: str) -> None:
    get_current_context()["outlet_id"] = outlet


def _run_key() -> str:
    """Staged files are per DAG run: two runs of the same hour never touch each other's files."""
    return get_current_context()["dag_run"].run_id


@dag(
    dag_id="marsad_hourly",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=3,
    # a run fails only for systemic reasons (a dead outlet is a fetch_log row, not a failure):
    # after a day of failed runs the DAG pauses itself instead of piling up failures
    max_consecutive_failed_dag_runs=24,
    deadline=DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=LATE_AFTER,
                           callback=SyncCallback(on_hourly_late, kwargs={"minutes": int(LATE_AFTER.total_seconds() // 60)}))
    if LATE_AFTER else None,
    doc_md=DOC,
    tags=["marsad", "crawl", "hourly"],
    default_args={
        "owner": "marsad",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "on_failure_callback": MarsadFailureNotifier(),
    },
    params={
        "outlets": Param([], type="array", description="Outlet ids to run (empty: every enabled outlet)"),
        "dry_run": Param(False, type="boolean",
                         description="Crawl, process and validate, but publish nothing to the lake tables"),
    },
)
def marsad_hourly():
    @task(doc_md="Resolve the outlets to run (param `outlets`, else every enabled outlet).")
    def plan() -> list[str]:
        from marsad.pipeline import plan_outlets

        return plan_outlets(get_current_context()["params"].get("outlets") or None)

    @task(pool="marsad_crawl", map_index_template="{{ outlet_id }}",
          doc_md="Discover and politely fetch the outlet's new articles into the interval's WARC (reused if present).")
    def crawl(outlet: str) -> dict:
        from marsad.pipeline import crawl_outlet

        _name_map_index(outlet)
        return crawl_outlet(outlet, _interval_start())

    @task(map_index_template="{{ outlet_id }}", doc_md="Extract, clean and tag the captured pages.")
    def process(crawl_summary: dict) -> dict:
        from marsad.pipeline import process_outlet

        _name_map_index(crawl_summary["outlet"])
        return {**process_outlet(crawl_summary["outlet"], _interval_start(), run_key=_run_key()), "crawl": crawl_summary}

    @task(retries=0, map_index_template="{{ outlet_id }}",
          doc_md="Run the GX `articles` suite; quarantine bad rows; fail (no retry) on a critical batch failure.")
    def validate(process_summary: dict) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from marsad.pipeline import BatchRejected, validate_outlet

        _name_map_index(process_summary["outlet"])
        try:
            return {**validate_outlet(process_summary["outlet"], _interval_start(), run_key=_run_key()),
                    "process": process_summary}
        except BatchRejected as exc:
            raise AirflowFailException(str(exc)) from exc

    @task(map_index_template="{{ outlet_id }}", doc_md="Atomically commit the outlet-hour's lake files and manifest.")
    def publish(validate_summary: dict) -> dict:
        from marsad.pipeline import publish_outlet

        _name_map_index(validate_summary["outlet"])
        dry_run = bool(get_current_context()["params"].get("dry_run"))
        return publish_outlet(validate_summary["outlet"], _interval_start(), summaries=validate_summary, dry_run=dry_run,
                              run_key=_run_key())

    publish.expand(validate_summary=validate.expand(process_summary=process.expand(crawl_summary=crawl.expand(outlet=plan()))))


marsad_hourly()
