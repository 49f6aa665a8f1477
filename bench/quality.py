"""GX validation time for one batch of N synthetic candidate rows (default 10,000): the committed
`articles` suite (row checks, incl. the exploded topic_hits frame) and the `fetch_log` batch suite, as the
validate stage runs them. Timed after `import great_expectations` (≈ 2.6 s, paid once per worker process):
context load from include/gx + suites + validation + storing the results in <tmp lake>/quality.
A few planted bad rows check that the reason codes come out. Prints seconds.

    .venv/bin/python bench/quality.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 2, 12, 9, tzinfo=UTC)
BODY = "أعلنت الحكومة الليبية في طرابلس عن خطة جديدة لإعادة الإعمار في المدن المتضررة. " * 8


def candidates(n: int):
    import pyarrow as pa
    from marsad.lake.writer import TABLES

    rows = []
    for i in range(n):
        r = {"article_id": f"{i:064x}", "url": f"https://www.example.com/news/{i}", "canonical_url": f"https://www.example.com/news/{i}",
             "outlet": "tahyamisr", "outlet_country": "EG", "title": f"عنوان الخبر رقم {i} عن ليبيا", "body": BODY,
             "published_at": START + timedelta(seconds=i % 3600), "fetched_at": START + timedelta(hours=1),
             "language": "ar", "topics": ["libya"], "topic_hits": [{"topic": "libya", "score": 0.9, "evidence": ["ليبيا"]}],
             "interval_start": START, "extraction_error": None}
        if i % 1000 == 1:
            r["language"] = "fa"
        if i % 1000 == 2:
            r["published_at"] = START + timedelta(days=2)
        rows.append(r)
    schema = TABLES["articles"].append(pa.field("extraction_error", pa.string()))
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema=schema)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    from marsad.lake.writer import to_table
    from marsad.quality.quarantine import (
        _batch_frames,
        _validation_frames,
        batch_summary,
    )

    table = candidates(n)
    fetch_log = to_table([{"outlet": "tahyamisr", "interval_start": START, "url": f"https://www.example.com/news/{i}",
                           "attempt": 1, "status": 200} for i in range(n)], "fetch_log")
    t0 = time.perf_counter()
    import great_expectations  # noqa: F401
    t_import = time.perf_counter() - t0

    from marsad.quality import suites

    with tempfile.TemporaryDirectory(prefix="marsad-bench-quality-") as tmp:
        lake = Path(tmp) / "lake"
        t0 = time.perf_counter()
        ctx = suites.get_context(lake)
        suites.load_suite_json("articles", lake)
        t_ctx = time.perf_counter() - t0
        t0 = time.perf_counter()
        frames = _validation_frames(table)
        t_frames = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = suites.validate_frames("articles", frames, {"outlets": ["tahyamisr"], "topics": ["libya", "sudan"]},
                                     lake=lake, run_name="bench", run_time=START)
        t_articles = time.perf_counter() - t0
        summary = batch_summary(fetch_log=fetch_log, article_pages=n, extraction_failures=0, candidates=n,
                                quarantined=len(out.row_reasons), accepted=n - len(out.row_reasons),
                                trailing_mean=None, trailing_n=0)
        t0 = time.perf_counter()
        batch = suites.validate_frames("fetch_log", _batch_frames(fetch_log, summary), {"outlet": ["tahyamisr"], "failure_classes": ["timeout"]},
                                       lake=lake, run_name="bench", run_time=START)
        t_batch = time.perf_counter() - t0
        reasons = sorted({r for rs in out.row_reasons.values() for r in rs})
        assert reasons == ["language_ar", "published_not_future"], reasons
        del ctx
    total = t_ctx + t_frames + t_articles + t_batch
    print(f"rows: {n}  (planted bad rows quarantined: {len(out.row_reasons)}, reasons {reasons}; batch warnings: {len(batch.warnings)})")
    print(f"import great_expectations:        {t_import:6.2f} s  (once per worker process, not counted)")
    print(f"file context + suite load:        {t_ctx:6.2f} s")
    print(f"validation frames (pandas):       {t_frames:6.2f} s")
    print(f"articles suite ({len(table)} rows):     {t_articles:6.2f} s")
    print(f"fetch_log batch suite:            {t_batch:6.2f} s")
    print(f"GX validation of {n} rows incl. context load: {total:.2f} s (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
