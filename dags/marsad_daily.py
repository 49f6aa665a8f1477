"""marsad_daily: compacts yesterday's small hourly files to one file per outlet and table."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task

from marsad_callbacks import on_task_failure

DOC = """
### Marsad daily maintenance
Runs after each UTC day. **compact** merges the day's hourly part files of `articles/`, `quarantine/`
and `fetch_log/` into one file per outlet (`part-<YYYYMMDD>.parquet`, rows sorted by published_at/outlet),
checking that the row count is unchanged before the hourly files are removed. Safe to re-run.
If it fails, nothing is lost: the hourly files stay until a compacted file is committed.
"""


@dag(
    dag_id="marsad_daily",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    doc_md=DOC,
    tags=["marsad", "maintenance", "daily"],
    default_args={"owner": "marsad", "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": on_task_failure},
)
def marsad_daily():
    @task(doc_md="Compact the day's hourly part files, one file per outlet and table.")
    def compact() -> dict:
        from marsad.lake.compact import compact_day

        return compact_day(get_current_context()["data_interval_start"].date())

    compact()


marsad_daily()
