"""End-to-end on the production topology without Docker: PostgreSQL + Redis + api-server + scheduler +
dag-processor + Celery worker as real processes. marsad_hourly is triggered through the REST API over
the outlet mirror; then a topic rule changes, the mirror goes away, and a backfill through the scheduler
re-derives the same hours from the raw captures with the new rules_version and no duplicates."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import duckdb
import pytest

from cluster import REPO, AirflowCluster
from tests_support import free_port_range

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]


def lake_rows(lake):
    return duckdb.connect().execute(
        f"SELECT article_id, outlet, title, topics, rules_version, interval_start "
        f"FROM read_parquet('{lake}/articles/**/*.parquet', hive_partitioning=true) ORDER BY article_id").fetchall()


def run_types(runs):
    return sorted((r["run_type"], r["state"]) for r in runs)


def test_celery_cluster_rest_trigger_then_backfill_from_raw(tmp_path, mirror, mirror_anchor):
    lake = tmp_path / "lake"
    topics = tmp_path / "topics.yaml"
    shutil.copy(REPO / "seeds" / "topics.yaml", topics)
    cluster = AirflowCluster(tmp_path / "airflow", free_port_range(2), {
        "MARSAD_LAKE": str(lake), "MARSAD_OUTLETS": str(mirror.config_path), "MARSAD_TOPICS": str(topics)})
    h9, h10, h11 = (mirror_anchor - timedelta(hours=h) for h in (3, 2, 1))
    try:
        cluster.start()
        cluster.wait_for_dag("marsad_hourly")
        # hours 09 and 10 through the scheduler (a backfill: logical date = interval start, like scheduled runs)
        cluster.airflow("backfill", "create", "--dag-id", "marsad_hourly", "--from-date", h9.isoformat(),
                        "--to-date", h10.isoformat())
        cluster.wait_backfills("marsad_hourly", expect=1)
        runs = cluster.wait_runs("marsad_hourly", expect=2, timeout=900)
        assert run_types(runs) == [("backfill", "success")] * 2, cluster.logs()
        # hour 11 triggered through the REST API (a manual run at T works on the hour before T)
        run_id = cluster.trigger("marsad_hourly", (h11 + timedelta(hours=1)).isoformat())
        (run,) = cluster.wait_runs("marsad_hourly", [run_id], timeout=900)
        assert run["state"] == "success", cluster.logs()
        assert run["data_interval_start"].startswith(h11.strftime("%Y-%m-%dT%H:%M"))

        first = lake_rows(lake)
        assert len(first) >= 30 and len({r[0] for r in first}) == len(first)
        assert {r[1] for r in first} >= {"tahyamisr", "alwasat", "sudanile"}
        assert {r[5].hour for r in first} == {9, 10, 11}
        old_version = first[0][4]
        assert {r[4] for r in first} == {old_version}
        seed = [r for r in first if r[2].startswith("رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي")]
        assert len(seed) == 1 and seed[0][3] == ["libya", "sudan", "ramadan_diplomacy"]

        # an analyst changes a rule (new version) and the outlets become unreachable: the backfill of the
        # three hours must re-derive everything from the stored WARCs, through the scheduler
        text = topics.read_text(encoding="utf-8")
        text = re.sub(r'^version: ".*"$', 'version: "2026.11.29-backfill"', text, count=1, flags=re.M)
        topics.write_text(text, encoding="utf-8")
        mirror.stop()
        requests_before = len(mirror.requests)
        cluster.airflow("backfill", "create", "--dag-id", "marsad_hourly", "--from-date", h9.isoformat(),
                        "--to-date", h11.isoformat(), "--reprocess-behavior", "completed")
        cluster.wait_backfills("marsad_hourly", expect=2)
        runs = cluster.wait_runs("marsad_hourly", expect=4, timeout=900)
        assert all(r["state"] == "success" for r in runs), cluster.logs()
        assert sum(r["run_type"] == "backfill" for r in runs) == 3

        after = lake_rows(lake)
        assert {r[4] for r in after} == {"2026.11.29-backfill"}
        assert [r[0] for r in after] == [r[0] for r in first]  # same articles, no duplicates, none lost
        assert [r[5] for r in after] == [r[5] for r in first]
        assert len(mirror.requests) == requests_before
        assert not list((lake / "_staging").glob("*/*/*")), "staged files left behind"
    finally:
        cluster.stop()
