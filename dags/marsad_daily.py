"""marsad_daily: compaction, near-duplicate clusters, the daily HTML report and GX Data Docs for the finished UTC day.

Thin wiring only: every task calls a function of the ``marsad`` package (heavy imports inside tasks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task
from marsad_callbacks import MarsadFailureNotifier

DOC = """
### Marsad daily maintenance
Runs after each UTC day (00:30) for the day that just ended (`data_interval_start`).

1. **compact** merges the day's hourly part files of `articles/`, `quarantine/` and `fetch_log/` into one
   file per outlet (`part-<YYYYMMDD>.parquet`, rows sorted by published_at, row groups with min/max
   statistics for fast time filters), checking that the row count is unchanged before the hourly files are
   removed. If it fails nothing is lost: the hourly files stay until a compacted file is committed. Safe to
   re-run; an hour re-published after compaction replaces its rows in the day file.
2. **clusters** groups the day's articles of different outlets whose bodies are near-duplicates (SimHash
   within 7 bits: wire copy) into `clusters/date=YYYY-MM-DD/part-YYYYMMDD.parquet`. Re-running replaces
   the day's file. A failure only delays the clusters; re-run the task.
3. **report** writes the day's self-contained HTML report (no scripts, no external resources) to
   `<lake>/reports/date=YYYY-MM-DD/report.html`: headline numbers (articles, outlets, quarantine rate),
   articles per topic per day over the last 14 days, articles per outlet by topic, the largest clusters
   with their outlets, outlets with problems (health, fetch failure classes, quarantine reasons) and the
   rules/pipeline versions. It only reads the lake; re-run it after fixing the cause (it replaces the file).
4. **data_docs** renders the Great Expectations Data Docs (the suites and the day's validation results)
   into `<lake>/quality/data_docs/index.html`. A failure does not affect the lake's data; re-run it.

Analysts: `marsad lake stats`, or DuckDB with `include/sql/views.sql`.
"""


def _day():
    return get_current_context()["data_interval_start"].date()


@dag(
    dag_id="marsad_daily",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    doc_md=DOC,
    tags=["marsad", "maintenance", "daily"],
    default_args={"owner": "marsad", "retries": 1, "retry_delay": timedelta(minutes=10),
                  "on_failure_callback": MarsadFailureNotifier()},
)
def marsad_daily():
    @task(doc_md="Compact the day's hourly part files into one file per outlet and table (row count checked; "
                 "hourly files removed only after the day file is committed). Safe to re-run.")
    def compact() -> dict:
        from marsad.lake.compact import compact_day

        return compact_day(_day())

    @task(doc_md="Near-duplicate clusters across outlets (SimHash, wire copy) for the day → "
                 "`clusters/date=…/part-YYYYMMDD.parquet`. Safe to re-run.")
    def clusters(compacted: dict) -> dict:
        from marsad.lake.clusters import build_clusters

        return build_clusters(_day())

    @task(doc_md="Build the GX Data Docs (suites + the day's validation results) into `<lake>/quality/data_docs/`. "
                 "Does not touch the data; safe to re-run.")
    def data_docs(compacted: dict) -> dict:
        from marsad.quality.suites import build_data_docs

        return build_data_docs(day=_day())

    @task(doc_md="Write the day's self-contained HTML report (charts of topics per day and per outlet, top clusters, "
                 "outlets with problems, versions) to `<lake>/reports/date=YYYY-MM-DD/report.html`, atomically. "
                 "Reads the lake only (DuckDB views); an empty day gives a report that says so. Safe to re-run.")
    def report(clustered: dict) -> str:
        from marsad.report import build_daily_report

        return str(build_daily_report(_day()))

    done = compact()
    report(clusters(done))
    data_docs(done)


marsad_daily()
