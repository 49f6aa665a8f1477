"""Lake benchmark: N synthetic articles (default 1,000,000) written as hourly part files (30 days × 8
outlets × 24 hours, the layout marsad_hourly produces), then the DuckDB topic-by-day count through the
`article_topics` view of include/sql/views.sql, before and after marsad_daily's compaction. Also a
published_at range filter on one outlet. Prints file counts and seconds. Everything lives in a temporary
directory (removed at the end; pass --keep to keep it).

    .venv/bin/python bench/lake.py [N] [--keep]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DAYS, OUTLETS, HOURS = 30, 8, 24
TOPICS = ["libya", "sudan", "ramadan_diplomacy", "gaza", "economy", "sport"]
DAY0 = datetime(2026, 1, 1, tzinfo=UTC)


def hour_table(n: int, outlet: str, start: datetime, seed: int):
    import numpy as np
    import pyarrow as pa
    from marsad.lake.schema import ARTICLES

    rng = np.random.default_rng(seed)
    ids = [f"{seed:08x}{i:056x}" for i in range(n)]
    k = rng.integers(0, 3, size=n)  # 0..2 topics per article
    first = rng.integers(0, len(TOPICS), size=n)
    topics = [[TOPICS[(f + j) % len(TOPICS)] for j in range(kk)] for f, kk in zip(first, k)]
    hits = [[{"topic": t, "score": 0.7, "evidence": [t]} for t in ts] for ts in topics]
    published = [start + timedelta(seconds=int(s)) for s in rng.integers(0, 3600, size=n)]
    body = "أعلنت الحكومة في طرابلس خطة جديدة لإعادة الإعمار. " * 6
    cols = {
        "article_id": ids, "url": [f"https://{outlet}.example/{i}" for i in ids], "canonical_url": [f"https://{outlet}.example/{i}" for i in ids],
        "outlet": [outlet] * n, "outlet_country": ["EG"] * n, "title": [f"عنوان {i % 997}" for i in range(n)],
        "body": [body] * n, "published_at": published, "fetched_at": [start + timedelta(hours=1)] * n,
        "language": ["ar"] * n, "word_count": [48] * n, "topics": topics, "topic_hits": hits,
        "simhash": rng.integers(-2**63, 2**63 - 1, size=n, dtype=np.int64), "interval_start": [start] * n,
    }
    arrays = [pa.array(cols[f.name], f.type) if f.name in cols else pa.nulls(n, f.type) for f in ARTICLES]
    return pa.Table.from_arrays(arrays, schema=ARTICLES).sort_by([("published_at", "ascending"), ("article_id", "ascending")])


def topic_by_day(con) -> tuple[float, int]:
    t0 = time.perf_counter()
    rows = con.execute("SELECT date, topic, count(*) AS n FROM article_topics GROUP BY ALL ORDER BY ALL").fetchall()
    return time.perf_counter() - t0, len(rows)


def range_filter(con) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = con.execute("SELECT count(*) FROM articles WHERE outlet = 'outlet3' AND published_at >= TIMESTAMPTZ "
                    "'2026-01-15 10:00:00+00' AND published_at < TIMESTAMPTZ '2026-01-15 12:00:00+00'").fetchone()[0]
    return time.perf_counter() - t0, n


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n_total = int(args[0]) if args else 1_000_000
    keep = "--keep" in sys.argv
    from marsad.lake.compact import compact_day
    from marsad.lake.query import connect
    from marsad.lake.writer import part_path, write_parquet_atomic

    tmp = Path(tempfile.mkdtemp(prefix="marsad-bench-lake-"))
    lake = tmp / "lake"
    try:
        slots = DAYS * OUTLETS * HOURS
        t0 = time.perf_counter()
        written = 0
        for s in range(slots):
            d, rest = divmod(s, OUTLETS * HOURS)
            o, h = divmod(rest, HOURS)
            n = n_total * (s + 1) // slots - n_total * s // slots
            start = DAY0 + timedelta(days=d, hours=h)
            outlet = f"outlet{o}"
            write_parquet_atomic(hour_table(n, outlet, start, s), part_path(lake, "articles", outlet, start))
            written += n
        t_write = time.perf_counter() - t0
        files_before = len(list((lake / "articles").glob("**/*.parquet")))
        print(f"articles: {written} rows in {files_before} hourly files ({DAYS} days × {OUTLETS} outlets × {HOURS} h), "
              f"written in {t_write:.1f} s")

        con = connect(lake)
        con.execute("PRAGMA threads=2")
        t_topics_before, groups = topic_by_day(con)
        t_range_before, hits = range_filter(con)
        print(f"before compaction: topic-by-day counts {t_topics_before:.3f} s ({groups} groups); "
              f"one outlet, 2-hour published_at range {t_range_before:.3f} s ({hits} rows)")

        t0 = time.perf_counter()
        for d in range(DAYS):
            compact_day((DAY0 + timedelta(days=d)).date(), lake)
        t_compact = time.perf_counter() - t0
        files_after = len(list((lake / "articles").glob("**/*.parquet")))
        con = connect(lake)
        con.execute("PRAGMA threads=2")
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == written
        t_topics_after, groups_after = topic_by_day(con)
        t_range_after, hits_after = range_filter(con)
        assert (groups_after, hits_after) == (groups, hits)
        print(f"compaction: {files_before} files -> {files_after} files (one per outlet and day) in {t_compact:.1f} s")
        print(f"after compaction:  topic-by-day counts {t_topics_after:.3f} s ({groups_after} groups); "
              f"one outlet, 2-hour published_at range {t_range_after:.3f} s ({hits_after} rows)")
        print(f"DuckDB topic-by-day over {written} articles: {t_topics_after:.3f} s after compaction (target < 1 s)")
    finally:
        if keep:
            print(f"kept {lake}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
