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


def test_celery_cluster_rest_trigger_then_backfill_from_raw(tmp_path, mirror, mirror_anchor):
    lake = tmp_path / "lake"
    topics = tmp_path / "topics.yaml"
    shutil.copy(REPO / "seeds" / "topics.yaml", topics)
    cluster = AirflowCluster(tmp_path / "airflow", free_port_range(2), {
        "MARSAD_LAKE": str(lake), "MARSAD_OUTLETS": str(mirror.config_path), "MARSAD_TOPICS": str(topics)})
    hours = [mirror_anchor - timedelta(hours=h) for h in (3, 2, 1)]
    try:
        cluster.start()
        cluster.wait_for_dag("marsad_hourly")
        # three consecutive hours through the REST API (a manual run at T works on the hour before T)
        run_ids = [cluster.trigger("marsad_hourly", (h + timedelta(hours=1)).isoformat()) for h in hours]
        runs = cluster.wait_runs("marsad_hourly", run_ids, timeout=900)
        assert [r["state"] for r in runs] == ["success"] * 3, cluster.logs()

        first = lake_rows(lake)
        assert len(first) >= 30 and len({r[0] for r in first}) == len(first)
        assert {r[1] for r in first} >= {"tahyamisr", "alwasat", "sudanile"}
        old_version = first[0][4]
        assert {r[4] for r in first} == {old_version}
        seed = [r for r in first if r[2].startswith("رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي")]
        assert len(seed) == 1 and seed[0][3] == ["libya", "sudan", "ramadan_diplomacy"]

        # an analyst changes a rule (new version), and the outlets are unreachable: the backfill must
        # re-derive from the stored WARCs only
        text = topics.read_text(encoding="utf-8")
        text = re.sub(r'^version: ".*"$', 'version: "2026.11.29-backfill"', text, count=1, flags=re.M)
        topics.write_text(text, encoding="utf-8")
        mirror.stop()
        requests_before = len(mirror.requests)
        cluster.airflow("backfill", "create", "--dag-id", "marsad_hourly",
                        "--from-date", hours[0].isoformat(), "--to-date", hours[-1].isoformat(),
                        "--reprocess-behavior", "completed")
        runs = cluster.wait_runs("marsad_hourly", expect=6, timeout=900)
        backfill = [r for r in runs if r["run_type"] == "backfill"]
        assert len(backfill) == 3 and all(r["state"] == "success" for r in backfill), cluster.logs()

        after = lake_rows(lake)
        assert {r[4] for r in after} == {"2026.11.29-backfill"}
        assert [r[0] for r in after] == [r[0] for r in first]  # same articles, no duplicates, none lost
        assert len(mirror.requests) == requests_before
    finally:
        cluster.stop()
