"""The crawl stage: discovery + polite fetch of one outlet-hour into its WARC (bronze layer).

If the interval's capture already exists it is reused, never re-crawled: re-runs and backfills
re-derive everything from raw.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from marsad.config import Outlet, lake_root, load_outlets
from marsad.crawl.capture import WarcCapture
from marsad.crawl.discover import Candidate, DiscoveryError, parse_feed, parse_listing, parse_sitemap
from marsad.crawl.fetch import PoliteFetcher
from marsad.crawl.frontier import Frontier
from marsad.crawl.urls import clean_url
from marsad.intervals import HOUR, as_interval_start, iso
from marsad.lake import writer

log = logging.getLogger(__name__)


# failures worth another try in a later interval (the article is kept in ``pending``), at most
# MAX_ARTICLE_RETRIES times; other failures (4xx, too_large, not_html, …) are final for that URL.
TRANSIENT = {"dns", "connect", "timeout", "http_5xx", "error"}
MAX_ARTICLE_RETRIES = 2
FRONTIER_KEEP_DAYS = 90


@dataclass
class SourceResult:
    """What one discovery source (feed, sitemap, listing page) gave in this crawl."""

    type: str
    url: str
    outcome: str  # ok | not_modified | unchanged | failed
    found: int = 0
    failure_class: str | None = None
    error: str | None = None
    via: str = "config"  # config | robots | index

    def line(self) -> str:
        if self.outcome == "failed":
            return f"{self.type} {self.url}: FAILED {self.failure_class}: {self.error}"
        extra = {"ok": f"{self.found} article URLs", "not_modified": "304 not modified (conditional GET)",
                 "unchanged": "unchanged since last crawl (same body hash)"}[self.outcome]
        return f"{self.type} {self.url}{'' if self.via == 'config' else f' (from {self.via})'}: {extra}"


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [s.line() for s in self.sources if s.outcome == "failed"]


def outlet_sites(outlet: Outlet) -> list[str]:
    """Base URLs whose site counts as the outlet's own (every discovery URL's site)."""
    return [e.url for e in outlet.discovery]


def discover_outlet(fetcher: PoliteFetcher, outlet: Outlet, frontier: Frontier | None = None,
                    interval_id: str = "", *, conditional: bool = True, sitemap_budget: int = 10) -> Discovery:
    """Candidates from the outlet's discovery entries (feeds, listing pages, sitemaps and the
    sitemaps announced in robots.txt). Feeds and sitemaps are fetched with conditional GET when the
    frontier holds validators; an unchanged body (same sha256) is not parsed again."""
    frontier = frontier if frontier is not None else Frontier(path=Path("/dev/null"))
    sites = outlet_sites(outlet)
    out = Discovery()

    def fetch_source(kind: str, url: str):
        state = frontier.validators_for(url, interval_id) if conditional and kind != "listing" else None
        res = fetcher.get(url, kind=kind, conditional=state)
        if res.not_modified:
            return res, "not_modified", state
        if not res.ok:
            return res, "failed", state
        digest = hashlib.sha256(res.body).hexdigest()
        if kind == "listing":
            return res, "ok", state
        previous = frontier.feeds.get(url, {})
        frontier.feeds[url] = {"etag": res.headers.get("etag"), "last_modified": res.headers.get("last-modified"),
                               "sha256": digest, "interval": interval_id or previous.get("interval"),
                               "children": previous.get("children")}
        if state is not None and previous.get("sha256") == digest:
            return res, "unchanged", state
        return res, "ok", state

    sitemaps: list[tuple[str, str]] = []
    for entry in outlet.discovery:
        if entry.type == "sitemap":
            sitemaps.append((entry.url, "config"))
            continue
        kind = "listing" if entry.type == "listing" else "feed"
        res, outcome, _ = fetch_source(kind, entry.url)
        src = SourceResult(entry.type, entry.url, outcome, failure_class=res.failure_class, error=res.error)
        out.sources.append(src)
        if outcome != "ok":
            continue
        try:
            if entry.type == "listing":
                found = parse_listing(res.body, res.final_url, entry.link_selector, sites)
            else:
                found = parse_feed(res.body, res.final_url, sites)
        except DiscoveryError as exc:
            src.outcome, src.failure_class, src.error = "failed", "parse", str(exc)
            continue
        src.found = len(found)
        out.candidates += found
    # sitemaps: configured ones, then those announced in robots.txt (for outlets that use sitemaps)
    if any(e.type == "sitemap" for e in outlet.discovery):
        known = {u for u, _ in sitemaps}
        for sm in fetcher.sitemaps_from_robots(outlet.discovery[0].url):
            if sm not in known:
                known.add(sm)
                sitemaps.append((sm, "robots"))
    queue = list(sitemaps)
    done: set[str] = set()
    while queue and sitemap_budget:
        url, via = queue.pop(0)
        if url in done:
            continue
        done.add(url)
        sitemap_budget -= 1
        res, outcome, _ = fetch_source("sitemap", url)
        src = SourceResult("sitemap", url, outcome, failure_class=res.failure_class, error=res.error, via=via)
        out.sources.append(src)
        if outcome in ("not_modified", "unchanged"):
            # an unchanged index still leads to its (maybe changed) children
            queue += [(c, "index") for c in frontier.feeds.get(url, {}).get("children") or []]
            continue
        if outcome != "ok":
            continue
        try:
            cands, children = parse_sitemap(res.body, res.final_url, sites)
        except DiscoveryError as exc:
            src.outcome, src.failure_class, src.error = "failed", "parse", str(exc)
            continue
        src.found = len(cands)
        if children:
            frontier.feeds[url]["children"] = children
        out.candidates += cands
        queue += [(c, "index") for c in children]
    return out


def _discover(fetcher: PoliteFetcher, outlet: Outlet, frontier: Frontier) -> tuple[list[Candidate], list[str]]:
    """(candidates, problems) — kept for callers of the first version."""
    d = discover_outlet(fetcher, outlet, frontier)
    return d.candidates, d.problems


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
    retried_before = {k: v for k, v in frontier.pending.items() if v.get("retries")}
    with WarcCapture(raw) as capture:
        fetcher = PoliteFetcher(cfg.settings, capture, delay_s=delay, robots_cache=frontier.robots)
        try:
            disc = discover_outlet(fetcher, outlet, frontier, iid)
            problems = disc.problems
            # earlier deferred candidates first, then the newly found ones; one per canonical URL
            pool: dict[str, Candidate] = {}
            for canon, p in frontier.pending.items():
                pool[canon] = Candidate(p["url"], canon, datetime.fromisoformat(p["published"]) if p.get("published") else None, p["via"])
            for c in disc.candidates:
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
            fetched, failures, retry_later = 0, {}, {}
            for c in eligible[:limit]:
                res = fetcher.get(clean_url(c.url), kind="article",
                                  meta={"feed-published": iso(c.published), "via": c.via, "canonical": c.canonical})
                fetched += 1
                fc = res.failure_class
                if fc:
                    failures[fc] = failures.get(fc, 0) + 1
                tries = int(retried_before.get(c.canonical, {}).get("retries", 0)) + 1
                if fc in TRANSIENT and tries <= MAX_ARTICLE_RETRIES:
                    retry_later[c.canonical] = {"url": c.url, "published": iso(c.published), "via": c.via,
                                                "retries": tries, "last_failure": fc}
                elif fc not in ("blocked_by_robots", "private_address"):
                    frontier.seen[c.canonical] = iid
            frontier.pending = {**deferred, **retry_later}
            for c in eligible[limit:]:
                frontier.pending[c.canonical] = {"url": c.url, "published": iso(c.published), "via": c.via}
            frontier.prune(writer.interval_id(start - timedelta(days=FRONTIER_KEEP_DAYS)))
        finally:
            fetcher.close()
    frontier.save()  # only after the capture is committed
    for p in problems:
        log.warning("%s %s discovery: %s", outlet_id, iid, p)
    return {**summary, "reused_capture": False, "candidates": len(pool), "eligible": len(eligible),
            "articles_fetched": fetched, "deferred": len(frontier.pending), "discovery_problems": problems,
            "sources": [s.line() for s in disc.sources], "article_failures": failures,
            "requests": fetcher.requests_sent, "seconds": round(time.monotonic() - t0, 2)}
