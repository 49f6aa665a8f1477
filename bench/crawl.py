"""Crawl throughput: the mirror serves N simulated outlets (default 20, cycling over its templates:
RSS, Atom, JSON Feed, RSS 1.0, sitemaps, listing pages, windows-1256 pages…) with M articles each
(default 50) published in one hour; the crawl stage captures that hour for every outlet with the real
polite fetcher (politeness delay 0 for the mirror, per-host concurrency limit as configured), a few
outlets at a time. Prints articles/s and requests per article. The mirror runs in its own process.

    .venv/bin/python bench/crawl.py [N_OUTLETS] [ARTICLES_PER_OUTLET] [PARALLEL_OUTLETS]
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from marsad.mirror.server import free_port_base

ANCHOR = datetime(2026, 2, 12, 12, tzinfo=timezone.utc)


def serve(base: int, n: int, m: int, config: str, ready) -> None:
    from marsad.mirror.server import Mirror, bench_sites

    mirror = Mirror(base_port=base, anchor=ANCHOR, sites=bench_sites(n), articles_per_site=m, window_minutes=58)
    mirror.write_outlets_config(Path(config))
    mirror.start()
    ready.set()
    while True:
        time.sleep(3600)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    par = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    from marsad.crawl.capture import read_warc
    from marsad.crawl.crawler import crawl_outlet
    from marsad.lake import writer

    tmp = Path(tempfile.mkdtemp(prefix="marsad-bench-crawl-"))
    config, lake = tmp / "outlets.yaml", tmp / "lake"
    ready = mp.Event()
    proc = mp.Process(target=serve, args=(free_port_base(n + 2), n, m, str(config), ready), daemon=True)
    proc.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("mirror did not start")
        from marsad.config import load_outlets

        ids = [o.id for o in load_outlets(config).outlets]
        start = ANCHOR - timedelta(hours=1)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(par) as pool:
            results = list(pool.map(lambda oid: crawl_outlet(oid, start, lake=lake, config_path=config), ids))
        elapsed = time.perf_counter() - t0
        requests = sum(r["requests"] for r in results)
        articles = 0
        for oid in ids:
            articles += sum(1 for r in read_warc(writer.raw_path(lake, oid, start))
                            if r.kind == "article" and r.status == 200 and not r.failure_class)
        failures = {k: v for r in results for k, v in r["article_failures"].items()}
        print(f"crawl: {n} mirror outlets x {m} articles, {par} outlets in parallel, politeness delay 0")
        print(f"  articles captured   {articles} of {n * m}  (failures: {failures or 'none'})")
        print(f"  HTTP requests       {requests}")
        print(f"  wall time           {elapsed:.2f} s")
        print(f"  articles/s          {articles / elapsed:.1f}")
        print(f"  requests per article {requests / max(1, articles):.3f}")
        # the next hour: nothing new, every feed/sitemap answers 304 or is unchanged
        t0 = time.perf_counter()
        with ThreadPoolExecutor(par) as pool:
            again = list(pool.map(lambda oid: crawl_outlet(oid, ANCHOR, lake=lake, config_path=config), ids))
        print(f"  re-crawl next hour  {sum(r['requests'] for r in again)} requests, "
              f"{sum(r['articles_fetched'] for r in again)} articles fetched again, {time.perf_counter() - t0:.2f} s")
    finally:
        proc.terminate()
        proc.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
