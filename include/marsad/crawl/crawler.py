"""The crawl stage: discovery + polite fetch of one outlet-hour into its WARC (bronze layer).

If the interval's capture already exists it is reused, never re-crawled: re-runs and backfills
re-derive everything from raw.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime
from pathlib import Path

from marsad.config import Outlet, lake_root, load_outlets
from marsad.crawl.capture import WarcCapture
from marsad.crawl.discover import Candidate, DiscoveryError, parse_feed, parse_listing, parse_sitemap
from marsad.crawl.fetch import PoliteFetcher
from marsad.crawl.frontier import Frontier
from marsad.intervals import HOUR, as_interval_start, iso
from marsad.lake import writer

log = logging.getLogger(__name__)


def _discover(fetcher: PoliteFetcher, outlet: Outlet, frontier: Frontier) -> tuple[list[Candidate], list[str]]:
    """All candidates from the outlet's discovery entries; problems come back as messages."""
    found: list[Candidate] = []
    problems: list[str] = []
    sitemaps: list[tuple[str, str]] = []
    for entry in outlet.discovery:
        if entry.type == "sitemap":
            sitemaps.append((entry.url, "config"))
            continue
        state = frontier.feeds.get(entry.url, {})
        res = fetcher.get(entry.url, kind="listing" if entry.type == "listing" else "feed",
                          conditional=state if entry.type != "listing" else None)
        if res.not_modified:
            continue
        if not res.ok:
            problems.append(f"{entry.type} {entry.url}: {res.failure_class} ({res.error})")
            continue
        digest = hashlib.sha256(res.body).hexdigest()
        if entry.type != "listing":
            unchanged = state.get("sha256") == digest
            frontier.feeds[entry.url] = {"etag": res.headers.get("etag"), "last_modified": res.headers.get("last-modified"),
                                         "sha256": digest}
            if unchanged:
                continue
        try:
            if entry.type == "listing":
                found += parse_listing(res.body, res.final_url, entry.link_selector)
            else:
                found += parse_feed(res.body, res.final_url)
        except DiscoveryError as exc:
            problems.append(str(exc))
    # sitemaps: configured ones, then those announced in robots.txt
    if outlet.discovery:
        for sm in fetcher.sitemaps_from_robots(outlet.discovery[0].url):
            if sm not in {u for u, _ in sitemaps} and any(e.type == "sitemap" for e in outlet.discovery):
                sitemaps.append((sm, "robots"))
    queue = list(sitemaps)
    budget = 10
    while queue and budget:
        url, _ = queue.pop(0)
        budget -= 1
        res = fetcher.get(url, kind="sitemap")
        if not res.ok:
            problems.append(f"sitemap {url}: {res.failure_class} ({res.error})")
            continue
        try:
            cands, children = parse_sitemap(res.body, res.final_url)
        except DiscoveryError as exc:
            problems.append(str(exc))
            continue
        found += cands
        queue += [(c, "index") for c in children]
    return found, problems


def crawl_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None, config_path: Path | str | None = None,
                 force: bool = False) -> dict:
    """Capture the outlet-hour into its WARC (or reuse an existing capture)."""
    lake = lake_root(lake)
    cfg = load_outlets(config_path)
    outlet = cfg.outlet(outlet_id)
    start = as_interval_start(start)
    end = start + HOUR
    iid = writer.interval_id(start)
    raw = writer.raw_path(lake, outlet_id, start)
    summary = {"outlet": outlet_id, "interval_start": start.isoformat(), "raw": str(raw)}
    if raw.exists() and not force:
        log.info("%s %s: capture exists, re-deriving from raw (no network)", outlet_id, iid)
        return {**summary, "reused_capture": True}

    frontier = Frontier.load(lake, outlet_id)
    delay = outlet.crawl_delay_s if outlet.crawl_delay_s is not None else cfg.settings.delay_s
    t0 = time.monotonic()
    with WarcCapture(raw) as capture:
        fetcher = PoliteFetcher(cfg.settings, capture, delay_s=delay)
        try:
            found, problems = _discover(fetcher, outlet, frontier)
            # earlier deferred candidates first, then the newly found ones; one per canonical URL
            pool: dict[str, Candidate] = {}
            for canon, p in frontier.pending.items():
                pool[canon] = Candidate(p["url"], canon, datetime.fromisoformat(p["published"]) if p.get("published") else None, p["via"])
            for c in found:
                pool.setdefault(c.canonical, c)
            eligible, deferred = [], {}
            for c in pool.values():
                if not frontier.is_new_for(c.canonical, iid):
                    continue
                if c.published is not None and c.published >= end:
                    deferred[c.canonical] = {"url": c.url, "published": iso(c.published), "via": c.via}
                    continue
                eligible.append(c)
            eligible.sort(key=lambda c: (c.published or end, c.canonical), reverse=True)
            limit = outlet.max_articles_per_run or cfg.settings.max_articles_per_run
            fetched = 0
            for c in eligible[:limit]:
                res = fetcher.get(c.url, kind="article", meta={"feed-published": iso(c.published), "via": c.via,
                                                                 "canonical": c.canonical})
                fetched += 1
                if res.failure_class not in ("blocked_by_robots", "private_address"):
                    frontier.seen[c.canonical] = iid
            frontier.pending = {k: v for k, v in deferred.items()}
            for c in eligible[limit:]:
                frontier.pending[c.canonical] = {"url": c.url, "published": iso(c.published), "via": c.via}
        finally:
            fetcher.close()
    frontier.save()  # only after the capture is committed
    for p in problems:
        log.warning("%s %s discovery: %s", outlet_id, iid, p)
    return {**summary, "reused_capture": False, "candidates": len(pool), "eligible": len(eligible),
            "articles_fetched": fetched, "deferred": len(frontier.pending), "discovery_problems": problems,
            "seconds": round(time.monotonic() - t0, 2)}
