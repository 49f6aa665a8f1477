"""A real Airflow run (dag.test) of marsad_hourly over the outlet mirror, asserting on the Parquet it wrote."""

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def articles(lake):
    con = duckdb.connect()
    return con.execute(
        f"SELECT outlet, title, topics, article_id, date::VARCHAR, rules_version, interval_start "
        f"FROM read_parquet('{lake}/articles/**/*.parquet', hive_partitioning=true) ORDER BY article_id").fetchall()


def test_marsad_hourly_dag_test_over_mirror(airflow_db, mirror, mirror_anchor, lake, monkeypatch):
    monkeypatch.setenv("MARSAD_OUTLETS", str(mirror.config_path))
    monkeypatch.setenv("MARSAD_LAKE", str(lake))
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).dags["marsad_hourly"]
    start = mirror_anchor - timedelta(hours=3)
    # A manual run works on the last complete hour before its logical date (Airflow 3 semantics of
    # CronDataIntervalTimetable.infer_manual_data_interval), so 10:00 processes 09:00-10:00.
    dr = dag.test(logical_date=start + timedelta(hours=1))
    assert str(dr.state) == "success"

    rows = articles(lake)
    by_outlet = {}
    for r in rows:
        by_outlet[r[0]] = by_outlet.get(r[0], 0) + 1
    assert set(by_outlet) == {"tahyamisr", "alwasat", "sudanile"}, by_outlet
    assert {r[4] for r in rows} == {"2026-02-12"}
    part = lake / "articles" / "date=2026-02-12" / "outlet=tahyamisr" / "part-20260212T09.parquet"
    assert part.exists()
    seed = [r for r in rows if r[1] and r[1].startswith("رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي")]
    assert len(seed) == 1 and seed[0][2] == ["libya", "sudan", "ramadan_diplomacy"]
    assert (lake / "raw" / "outlet=tahyamisr" / "date=2026-02-12" / "hour=09" / "tahyamisr-20260212T09.warc.gz").exists()
    assert list((lake / "fetch_log").glob("date=2026-02-12/outlet=*/part-20260212T09.parquet"))
    assert list((lake / "runs" / "date=2026-02-12").glob("20260212T09-*.json"))

    # the same interval again (a re-run): identical rows, no duplicates, nothing re-fetched
    requests_before = len(mirror.requests)
    dr = dag.test(logical_date=start + timedelta(hours=1))
    assert str(dr.state) == "success"
    assert articles(lake) == rows
    assert len(mirror.requests) == requests_before
