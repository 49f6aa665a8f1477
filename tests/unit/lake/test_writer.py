"""Atomic commits, interval replacement, compaction, DuckDB hive reads."""

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import duckdb
import pyarrow.parquet as pq

from marsad.lake import writer
from marsad.lake.compact import compact_day
from marsad.lake.query import connect, lake_stats

H9 = datetime(2026, 2, 12, 9, tzinfo=timezone.utc)


def row(i, start=H9, outlet="tahyamisr", topics=("libya",)):
    return {"article_id": f"{outlet}-{start:%H}-{i:04d}", "url": f"https://x.test/{i}", "canonical_url": f"https://x.test/{i}",
            "outlet": outlet, "title": f"عنوان {i}", "body": "نص " * 50, "published_at": start + timedelta(minutes=i % 60),
            "fetched_at": start + timedelta(hours=1), "topics": list(topics),
            "topic_hits": [{"topic": t, "score": 0.8, "evidence": ["ليبيا"]} for t in topics], "interval_start": start}


def test_layout_and_duckdb_hive_read(tmp_path):
    p = writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(1), row(2)])
    assert p == tmp_path / "articles/date=2026-02-12/outlet=tahyamisr/part-20260212T09.parquet"
    con = duckdb.connect()
    got = con.execute(f"SELECT outlet, date::VARCHAR, count(*) FROM read_parquet('{tmp_path}/articles/**/*.parquet', "
                      "hive_partitioning=true) GROUP BY ALL").fetchall()
    assert got == [("tahyamisr", "2026-02-12", 2)]
    assert pq.read_schema(p).names == writer.TABLES["articles"].names


def test_rerun_replaces_exactly_the_interval(tmp_path):
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(i) for i in range(5)])
    h10 = H9 + timedelta(hours=1)
    writer.commit_partition(tmp_path, "articles", "tahyamisr", h10, [row(i, h10) for i in range(3)])
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(i) for i in range(2)])
    con = connect(tmp_path)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [])
    assert not writer.part_path(tmp_path, "articles", "tahyamisr", H9).exists()


def test_sigkill_mid_write_leaves_previous_state(tmp_path):
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(1)])
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import datetime, timezone
        import pyarrow.parquet as pq
        from marsad.lake import writer
        real = pq.write_table
        def dying(table, where, **kw):
            with open(where, "wb") as fh:
                fh.write(b"PAR1 partial")
            os.kill(os.getpid(), signal.SIGKILL)
        pq.write_table = dying
        writer.pq.write_table = dying
        writer.commit_partition({str(tmp_path)!r}, "articles", "tahyamisr",
                                datetime(2026, 2, 12, 9, tzinfo=timezone.utc), [{{"article_id": "new"}}])
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert res.returncode == -9
    con = connect(tmp_path)
    assert con.execute("SELECT article_id FROM articles").fetchall() == [("tahyamisr-09-0001",)]


def test_compaction_keeps_row_multiset_and_republish_replaces(tmp_path):
    day = H9.date()
    for h in range(3):
        start = H9 + timedelta(hours=h)
        writer.commit_partition(tmp_path, "articles", "tahyamisr", start, [row(i, start) for i in range(4)])
    before = sorted(connect(tmp_path).execute("SELECT article_id, title FROM articles").fetchall())
    report = compact_day(day, tmp_path)
    assert report["tables"]["articles"]["tahyamisr"] == {"files_before": 3, "files_after": 1, "rows": 12}
    files = list((tmp_path / "articles").glob("**/*.parquet"))
    assert [f.name for f in files] == ["part-20260212.parquet"]
    assert sorted(connect(tmp_path).execute("SELECT article_id, title FROM articles").fetchall()) == before
    # re-publishing an hour after compaction replaces that hour's rows, no duplicates
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(i) for i in range(2)])
    assert connect(tmp_path).execute("SELECT count(*) FROM articles").fetchone()[0] == 10
    compact_day(day, tmp_path)
    assert connect(tmp_path).execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (10, 10)


def test_lake_stats(tmp_path):
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(1), row(2, topics=("libya", "sudan"))])
    text = lake_stats(tmp_path)
    assert "articles: 2 rows in 1 files" in text and "libya" in text and "sudan" in text
