"""Atomic commits, interval replacement, compaction, DuckDB hive reads."""

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
from marsad.lake import writer
from marsad.lake.compact import compact_day
from marsad.lake.query import connect, lake_stats

H9 = datetime(2026, 2, 12, 9, tzinfo=UTC)


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
    res = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True)
    assert res.returncode == -9
    con = connect(tmp_path)
    assert con.execute("SELECT article_id FROM articles").fetchall() == [("tahyamisr-09-0001",)]


def test_compaction_keeps_row_multiset_and_republish_replaces(tmp_path):
    day = H9.date()
    for h in range(3):
        start = H9 + timedelta(hours=h)
        writer.commit_partition(tmp_path, "articles", "tahyamisr", start, [row(i, start) for i in range(4)])
    before = sorted(connect(tmp_path).execute("SELECT article_id, title FROM articles").fetchall())
    con = duckdb.connect()
    glob = f"{tmp_path}/articles/**/*.parquet"
    con.execute(f"CREATE TABLE before AS SELECT * FROM read_parquet('{glob}')")
    report = compact_day(day, tmp_path)
    assert report["tables"]["articles"]["tahyamisr"] == {"files_before": 3, "files_after": 1, "rows": 12}
    files = list((tmp_path / "articles").glob("**/*.parquet"))
    assert [f.name for f in files] == ["part-20260212.parquet"]
    assert sorted(connect(tmp_path).execute("SELECT article_id, title FROM articles").fetchall()) == before
    # the exact row multiset, every column: nothing lost, nothing added, nothing changed
    con.execute(f"CREATE TABLE after AS SELECT * FROM read_parquet('{glob}')")
    assert con.execute("SELECT count(*) FROM (SELECT * FROM before EXCEPT ALL SELECT * FROM after)").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM (SELECT * FROM after EXCEPT ALL SELECT * FROM before)").fetchone()[0] == 0
    meta = pq.ParquetFile(files[0]).metadata
    assert meta.row_group(0).sorting_columns[0].column_index == writer.TABLES["articles"].names.index("published_at")
    ts = pq.read_table(files[0]).column("published_at").to_pylist()
    assert ts == sorted(ts)
    # re-publishing an hour after compaction replaces that hour's rows, no duplicates
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(i) for i in range(2)])
    assert connect(tmp_path).execute("SELECT count(*) FROM articles").fetchone()[0] == 10
    compact_day(day, tmp_path)
    assert connect(tmp_path).execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (10, 10)


def test_lake_stats(tmp_path):
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [row(1), row(2, topics=("libya", "sudan"))])
    text = lake_stats(tmp_path)
    assert "articles: 2 rows in 1 files" in text and "libya" in text and "sudan" in text


def test_views_sql_reads_every_table_with_hive_partitioning(tmp_path):
    from marsad.lake.clusters import build_clusters

    body = "وكالة الأنباء نقلت أن الحكومة في طرابلس أعلنت خطة لإعادة إعمار الجنوب بعد الفيضانات " * 8
    from marsad.process import simhash64

    a = {**row(1), "body": body, "simhash": simhash64(body)}
    b = {**row(2, outlet="alwasat"), "body": body + " المصدر", "simhash": simhash64(body + " المصدر")}
    writer.commit_partition(tmp_path, "articles", "tahyamisr", H9, [a, row(3)])
    writer.commit_partition(tmp_path, "articles", "alwasat", H9, [b])
    writer.commit_partition(tmp_path, "quarantine", "tahyamisr", H9, [{**row(4), "reason_codes": ["language_ar"]}])
    writer.commit_partition(tmp_path, "fetch_log", "tahyamisr", H9, [
        {"outlet": "tahyamisr", "interval_start": H9, "url": "https://x.test/1", "attempt": 1, "failure_class": "timeout"}])
    report = build_clusters(H9.date(), tmp_path)
    assert report["clusters"] == 1 and report["clustered_articles"] == 2
    assert (tmp_path / "clusters/date=2026-02-12/part-20260212.parquet").exists()
    con = connect(tmp_path)
    assert {"articles", "article_topics", "quarantine", "quarantine_reasons", "fetch_log", "clusters"} <= \
        __import__("marsad.lake.query", fromlist=["views"]).views(con)
    for view in ("articles", "quarantine", "fetch_log", "clusters", "article_topics"):
        dates = con.execute(f"SELECT DISTINCT date::VARCHAR FROM {view}").fetchall()
        assert dates == [("2026-02-12",)], view
    assert con.execute("SELECT outlet, count(*) FROM articles GROUP BY 1 ORDER BY 1").fetchall() == \
        [("alwasat", 1), ("tahyamisr", 2)]
    assert con.execute("SELECT reason_code FROM quarantine_reasons").fetchall() == [("language_ar",)]
    assert con.execute("SELECT topic, score FROM article_topics WHERE article_id = ?", [a["article_id"]]).fetchall() == \
        [("libya", 0.8)]
    got = con.execute("SELECT cluster_id, article_id, is_first, n_outlets FROM clusters ORDER BY article_id").fetchall()
    assert got == [(a["article_id"], b["article_id"], False, 2), (a["article_id"], a["article_id"], True, 2)] or \
        sorted(got) == sorted([(a["article_id"], a["article_id"], True, 2), (a["article_id"], b["article_id"], False, 2)])
    # the same SQL file works from plain DuckDB with the variable set
    from marsad.lake.query import VIEWS_SQL

    raw = duckdb.connect()
    raw.execute("SET VARIABLE marsad_lake = ?", [str(tmp_path)])
    raw.execute(VIEWS_SQL.read_text())
    assert raw.execute("SELECT count(*) FROM clusters").fetchone()[0] == 2


def test_cluster_rows_banding_finds_near_duplicates_only():
    import numpy as np
    import pyarrow as pa
    from marsad.lake.clusters import MAX_DISTANCE, cluster_rows, near_duplicate_pairs

    rng = np.random.default_rng(7)
    h = rng.integers(-2**63, 2**63 - 1, size=2000, dtype=np.int64)
    flip = np.int64(0)
    for bit in (1, 9, 17, 25, 33, 41, 62)[:MAX_DISTANCE]:  # one bit in each of 7 bands: only band 8 agrees
        flip |= np.int64(1) << np.int64(bit)
    h[10] = h[3] ^ flip
    h[11] = h[4] ^ (flip | (np.int64(1) << np.int64(50)))  # 8 bits apart: not a near-duplicate
    assert near_duplicate_pairs(h) == [(3, 10)]
    t = pa.table({"article_id": ["a", "b", "c"], "outlet": ["x", "y", "x"],
                  "published_at": pa.array([H9, H9 + timedelta(minutes=5), H9], pa.timestamp("us", tz="UTC")),
                  "title": ["t", "t", "t"], "simhash": pa.array([5, 7, 5], pa.int64())})
    rows = cluster_rows(t)
    assert {(r["cluster_id"], r["article_id"], r["distance"]) for r in rows} == {("a", "a", 0), ("a", "b", 1), ("a", "c", 0)}
    assert all(r["n_outlets"] == 2 and r["cluster_size"] == 3 for r in rows)
    same_outlet = t.filter(pa.compute.equal(t["outlet"], "x"))
    assert cluster_rows(same_outlet) == []
