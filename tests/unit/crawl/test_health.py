from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq

from marsad.crawl.health import health_from_rows, outlet_health
from marsad.lake import writer

T0 = datetime(2026, 2, 12, 6, tzinfo=timezone.utc)


def rows(hour, feed_status, feed_fc=None, articles=((200, None),)):
    start = T0 + timedelta(hours=hour)
    out = [{"interval_start": start, "url": "https://x/feed", "kind": "feed", "attempt": 1, "status": feed_status,
            "failure_class": feed_fc, "error": feed_fc, "fetched_at": start + timedelta(minutes=1)}]
    for i, (st, fc) in enumerate(articles):
        out.append({"interval_start": start, "url": f"https://x/a{hour}-{i}", "kind": "article", "attempt": 1,
                    "status": st, "failure_class": fc, "error": fc, "fetched_at": start + timedelta(minutes=2 + i)})
    return out


def test_ok_degraded_failing():
    assert health_from_rows("x", []).status == "unknown"
    ok = health_from_rows("x", rows(0, 200) + rows(1, 304, articles=()))
    assert ok.status == "ok" and ok.consecutive_failures == 0 and ok.last_success == T0 + timedelta(hours=1, minutes=1)
    degraded = health_from_rows("x", rows(0, 200, articles=((200, None), (None, "timeout"), (404, "http_4xx"))))
    assert degraded.status == "degraded" and degraded.latest.failure_classes == {"timeout": 1, "http_4xx": 1}
    down = rows(0, 200) + [r for h in (1, 2, 3) for r in rows(h, None, "dns", articles=())]
    h = health_from_rows("x", down)
    assert h.status == "failing" and h.consecutive_failures == 3 and h.last_failure_class == "dns"
    assert h.last_success == T0 + timedelta(minutes=2) and "3 consecutive failing" in h.summary()
    assert health_from_rows("x", down[:-1] + rows(4, 200)).status == "ok"


def test_reads_the_lake_fetch_log(tmp_path):
    for h in range(2):
        start = T0 + timedelta(hours=h)
        batch = [{**r, "outlet": "x", "elapsed_ms": 1, "bytes": 1, "content_type": None}
                 for r in rows(h, None, "connect", articles=())]
        writer.commit_partition(tmp_path, "fetch_log", "x", start, batch)
    assert list(tmp_path.glob("fetch_log/date=*/outlet=x/*.parquet"))
    h = outlet_health("x", tmp_path, now=T0 + timedelta(days=1))
    assert h.status == "degraded" and h.consecutive_failures == 2 and h.last_success is None
    assert pq.read_table(next(tmp_path.glob("fetch_log/**/*.parquet"))).num_rows == 1
