"""Compose the stages for one outlet-hour: crawl → process → validate → publish.

Called by the Airflow DAGs (one mapped task per outlet) and by ``marsad run``. Each stage reads the
previous stage's files and returns a small JSON-able summary (what Airflow keeps in XCom):

- crawl:    discovery + polite fetch → ``raw/…/<id>-<interval>.warc.gz``. If the interval's capture
            already exists it is reused, never re-crawled: re-runs and backfills re-derive from raw.
- process:  WARC → extraction, cleaning, tagging → ``_staging/<interval>/<outlet>/candidates.parquet``
            and ``fetch_log.parquet``
- validate: GX suite → ``accepted.parquet`` / ``quarantine.parquet`` in staging; raises
            :class:`BatchRejected` when a critical batch-level expectation fails
- publish:  atomic commit of articles / quarantine / fetch_log part files + run manifest
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq

import marsad
from marsad.config import Outlet, OutletsFile, lake_root, load_outlets, topics_path
from marsad.crawl.capture import WarcCapture, read_warc
from marsad.crawl.discover import Candidate, DiscoveryError, parse_feed, parse_listing, parse_sitemap
from marsad.crawl.fetch import PoliteFetcher, decode_html
from marsad.crawl.frontier import Frontier
from marsad.crawl.urls import article_id, canonical_url
from marsad.lake import writer
from marsad.text.arabic import normalize_for_match, tokens

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


class BatchRejected(RuntimeError):
    """A critical batch-level check failed: the outlet-hour is not published."""


# -- intervals --------------------------------------------------------------------------------
def as_interval_start(value: datetime | str | None, *, now: datetime | None = None) -> datetime:
    """UTC start of the hour to work on. None means the last complete hour (manual runs)."""
    if value is None:
        now = now or datetime.now(timezone.utc)
        value = now.replace(minute=0, second=0, microsecond=0) - HOUR
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"interval start {value.isoformat()} has no timezone; give it in UTC (e.g. 2026-02-12T09:00Z)")
    # a plain datetime (pendulum's DateTime loses its zone in arithmetic with timedelta)
    value = datetime.fromtimestamp(value.timestamp(), timezone.utc)
    if value.minute or value.second or value.microsecond:
        raise ValueError(f"interval start {value.isoformat()} is not on the hour")
    return value


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def plan_outlets(outlet_ids: list[str] | None = None, config_path: str | Path | None = None) -> list[str]:
    """Ids of the outlets to run: the given ones (validated) or every enabled outlet."""
    cfg = load_outlets(config_path)
    return [o.id for o in cfg.select(outlet_ids)]


# -- crawl ------------------------------------------------------------------------------------
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
                    deferred[c.canonical] = {"url": c.url, "published": _iso(c.published), "via": c.via}
                    continue
                eligible.append(c)
            eligible.sort(key=lambda c: (c.published or end, c.canonical), reverse=True)
            limit = outlet.max_articles_per_run or cfg.settings.max_articles_per_run
            fetched = 0
            for c in eligible[:limit]:
                res = fetcher.get(c.url, kind="article", meta={"feed-published": _iso(c.published), "via": c.via,
                                                                 "canonical": c.canonical})
                fetched += 1
                if res.failure_class not in ("blocked_by_robots", "private_address"):
                    frontier.seen[c.canonical] = iid
            frontier.pending = {k: v for k, v in deferred.items()}
            for c in eligible[limit:]:
                frontier.pending[c.canonical] = {"url": c.url, "published": _iso(c.published), "via": c.via}
        finally:
            fetcher.close()
    frontier.save()  # only after the capture is committed
    for p in problems:
        log.warning("%s %s discovery: %s", outlet_id, iid, p)
    return {**summary, "reused_capture": False, "candidates": len(pool), "eligible": len(eligible),
            "articles_fetched": fetched, "deferred": len(frontier.pending), "discovery_problems": problems,
            "seconds": round(time.monotonic() - t0, 2)}


# -- process ----------------------------------------------------------------------------------
def title_key(title: str | None) -> str | None:
    if not title:
        return None
    return hashlib.sha1(" ".join(tokens(normalize_for_match(title))).encode()).hexdigest()[:16]


def simhash64(text: str) -> int:
    """64-bit SimHash of word 3-shingles of the normalised text (signed, to fit int64)."""
    words = tokens(normalize_for_match(text))
    if not words:
        return 0
    weights = [0] * 64
    shingles = [" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))]
    for sh in shingles:
        h = int.from_bytes(hashlib.blake2b(sh.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def hijri_date(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    from hijridate import Gregorian

    try:
        h = Gregorian(dt.year, dt.month, dt.day).to_hijri()
    except (OverflowError, ValueError):
        return None
    return f"{h.year:04d}-{h.month:02d}-{h.day:02d}"


def _fetch_log_rows(outlet_id: str, start: datetime, raw: Path) -> list[dict]:
    rows = []
    for rec in read_warc(raw):
        fetched = rec.meta.get("fetched-at")
        rows.append({
            "outlet": outlet_id, "interval_start": start, "url": rec.url, "kind": rec.kind,
            "attempt": int(rec.meta.get("attempt") or 0), "status": rec.status,
            "failure_class": rec.failure_class, "error": rec.meta.get("error"),
            "elapsed_ms": int(rec.meta.get("elapsed-ms") or 0), "bytes": len(rec.body),
            "content_type": rec.headers.get("content-type"),
            "fetched_at": datetime.fromisoformat(fetched) if fetched else None,
        })
    return rows


def article_row(outlet: Outlet, start: datetime, url: str, body: bytes, content_type: str | None,
                feed_published: datetime | None, fetched_at: datetime, tagger) -> dict:
    """One candidate row from a captured page: extraction, cleaning, tagging. Never raises for bad pages."""
    from marsad.extract.article import extract_article

    canon = canonical_url(url)
    row: dict = {"article_id": article_id(canon), "url": url, "canonical_url": canon, "outlet": outlet.id,
                 "outlet_country": outlet.country, "fetched_at": fetched_at, "interval_start": start,
                 "pipeline_version": marsad.PIPELINE_VERSION, "rules_version": tagger.version,
                 "topics": [], "topic_hits": [], "people": [], "places": []}
    try:
        text, _enc = decode_html(body, content_type)
    except UnicodeDecodeError as exc:
        return {**row, "extraction_error": f"bad_encoding: {exc.reason}"}
    ex = extract_article(text, url, hints=outlet.extraction, timezone=outlet.timezone,
                         feed_published=feed_published, fetched_at=fetched_at)
    if ex.canonical_url and ex.canonical_url.startswith(("http://", "https://")):
        canon = canonical_url(ex.canonical_url)
    row.update({"article_id": article_id(canon), "canonical_url": canon, "title": ex.title, "lead": ex.lead,
                "body": ex.body or None, "author": ex.author, "published_at": ex.published_at,
                "date_source": ex.date_source, "language": ex.language, "language_declared": ex.language_declared,
                "extraction_method": ex.extraction_method, "extraction_error": ex.error,
                "word_count": len(ex.body.split()) if ex.body else 0})
    if ex.error:
        return row
    tags = tagger.tag(ex.title or "", ex.body, ex.published_at)
    row.update({"topics": tags.topics, "topic_hits": tags.topic_hits, "people": tags.people, "places": tags.places,
                "title_key": title_key(ex.title), "simhash": simhash64(ex.body), "hijri_date": hijri_date(ex.published_at)})
    return row


def process_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None,
                   config_path: Path | str | None = None, topics: Path | str | None = None) -> dict:
    """Re-derive candidate rows and the fetch log of an outlet-hour from its WARC."""
    from marsad.tag.tagger import Tagger

    lake = lake_root(lake)
    outlet = load_outlets(config_path).outlet(outlet_id)
    start = as_interval_start(start)
    raw = writer.raw_path(lake, outlet_id, start)
    if not raw.exists():
        raise FileNotFoundError(f"no raw capture for {outlet_id} {writer.interval_id(start)} at {raw}; run crawl first")
    tagger = Tagger.from_file(topics or topics_path())
    rows: list[dict] = []
    seen_ids: set[str] = set()
    seen_title_keys: set[str] = set()
    duplicates = 0
    for rec in read_warc(raw):
        if rec.kind != "article" or rec.status is None or not 200 <= rec.status < 300:
            continue
        fetched_at = datetime.fromisoformat(rec.meta["fetched-at"])
        fp = rec.meta.get("feed-published")
        row = article_row(outlet, start, rec.url, rec.body, rec.headers.get("content-type"),
                          datetime.fromisoformat(fp) if fp else None, fetched_at, tagger)
        tk = row.get("title_key")
        if row["article_id"] in seen_ids or (tk and tk in seen_title_keys):
            duplicates += 1  # same story twice in one outlet-hour (AMP/print variants, two URLs)
            continue
        seen_ids.add(row["article_id"])
        if tk:
            seen_title_keys.add(tk)
        rows.append(row)
    stage = writer.staging_dir(lake, outlet_id, start)
    stage.mkdir(parents=True, exist_ok=True)
    import pyarrow as pa

    cand_schema = writer.TABLES["articles"].append(pa.field("extraction_error", pa.string()))
    pq.write_table(pa.Table.from_pylist([{n: r.get(n) for n in cand_schema.names} for r in rows], schema=cand_schema),
                   stage / "candidates.parquet")
    fetch_rows = _fetch_log_rows(outlet_id, start, raw)
    pq.write_table(writer.to_table(fetch_rows, "fetch_log"), stage / "fetch_log.parquet")
    return {"outlet": outlet_id, "interval_start": start.isoformat(), "candidates": len(rows),
            "duplicates_in_batch": duplicates, "fetch_attempts": len(fetch_rows),
            "fetch_failures": sum(1 for r in fetch_rows if r["failure_class"]), "rules_version": tagger.version}


# -- validate ---------------------------------------------------------------------------------
def _validation_frames(table):
    import pandas as pd

    df = table.to_pandas()
    published = pd.to_datetime(df["published_at"], utc=True)
    fetched = pd.to_datetime(df["fetched_at"], utc=True)
    df["published_lead_s"] = (published - fetched).dt.total_seconds()
    df["published_epoch_s"] = published.map(lambda t: None if pd.isna(t) else t.timestamp())
    df["extraction_error_none"] = df["extraction_error"].map(lambda e: "ok" if e is None or e != e else None)
    hits = [{"row": i, "topics_flat": h["topic"], "scores_flat": h["score"]}
            for i, th in enumerate(df["topic_hits"]) for h in (list(th) if th is not None else [])]
    topic_hits = pd.DataFrame(hits, columns=["row", "topics_flat", "scores_flat"])
    return {"articles": df, "topic_hits": topic_hits}


def earlier_article_ids(lake: Path, outlet_id: str, start: datetime, ids: list[str]) -> set[str]:
    """Ids among ``ids`` already published by an earlier interval of the outlet (cross-interval dedup)."""
    base = Path(lake) / "articles"
    own = writer.part_path(lake, "articles", outlet_id, start)
    files = [p for p in base.glob(f"date=*/outlet={outlet_id}/*.parquet") if p != own]
    if not files or not ids:
        return set()
    import duckdb

    con = duckdb.connect()
    found = con.execute(
        "SELECT DISTINCT article_id FROM read_parquet(?, union_by_name=true) WHERE article_id IN (SELECT unnest(?)) "
        "AND interval_start < ?", [[str(f) for f in files], ids, start]).fetchall()
    return {r[0] for r in found}


def validate_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None,
                    config_path: Path | str | None = None, topics: Path | str | None = None) -> dict:
    """Split staged candidates into accepted rows and quarantined rows (with reason codes)."""
    from marsad.quality.suites import validate_frames
    from marsad.tag.tagger import Tagger

    lake = lake_root(lake)
    cfg: OutletsFile = load_outlets(config_path)
    start = as_interval_start(start)
    stage = writer.staging_dir(lake, outlet_id, start)
    table = pq.read_table(stage / "candidates.parquet")
    taxonomy = Tagger.from_file(topics or topics_path()).topics
    frames = _validation_frames(table)
    outcome = validate_frames("articles", frames, {"outlets": [o.id for o in cfg.outlets], "topics": taxonomy})
    rows = table.to_pylist()
    already = earlier_article_ids(lake, outlet_id, start, [r["article_id"] for r in rows if r["article_id"]])
    accepted, quarantined, republished = [], [], 0
    for i, row in enumerate(rows):
        reasons = outcome.row_reasons.get(i, [])
        if reasons:
            detail = row.get("extraction_error")
            quarantined.append({**row, "reason_codes": reasons, "reason_detail": detail})
        elif row["article_id"] in already:
            republished += 1
        else:
            accepted.append(row)
    fetch_log = pq.read_table(stage / "fetch_log.parquet")
    failures = sum(1 for f in fetch_log.column("failure_class").to_pylist() if f)
    warnings = list(outcome.warnings)
    if len(fetch_log) and failures / len(fetch_log) > 0.5:
        warnings.append(f"fetch_error_rate: {failures}/{len(fetch_log)} attempts failed")
    if rows and len(quarantined) / len(rows) > 0.5:
        warnings.append(f"quarantine_rate: {len(quarantined)}/{len(rows)} rows quarantined")
    for w in warnings:
        log.warning("%s %s quality warning: %s", outlet_id, writer.interval_id(start), w)
    if not outcome.publishable:
        raise BatchRejected(f"{outlet_id} {writer.interval_id(start)}: critical batch checks failed: "
                            + "; ".join(outcome.batch_failures) + " — nothing published for this outlet-hour")
    pq.write_table(writer.to_table(accepted, "articles"), stage / "accepted.parquet")
    pq.write_table(writer.to_table(quarantined, "quarantine"), stage / "quarantine.parquet")
    reasons_count: dict[str, int] = {}
    for q in quarantined:
        for r in q["reason_codes"]:
            reasons_count[r] = reasons_count.get(r, 0) + 1
    return {"outlet": outlet_id, "interval_start": start.isoformat(), "accepted": len(accepted),
            "quarantined": len(quarantined), "already_published": republished, "quarantine_reasons": reasons_count,
            "warnings": warnings, "expectations": outcome.results}


# -- publish ----------------------------------------------------------------------------------
def publish_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None, summaries: dict | None = None) -> dict:
    """Atomically replace the outlet-hour's part files and write its run manifest."""
    lake = lake_root(lake)
    start = as_interval_start(start)
    stage = writer.staging_dir(lake, outlet_id, start)
    counts = {}
    for table, fname in (("articles", "accepted.parquet"), ("quarantine", "quarantine.parquet"),
                         ("fetch_log", "fetch_log.parquet")):
        rows = pq.read_table(stage / fname).to_pylist()
        writer.commit_partition(lake, table, outlet_id, start, rows)
        counts[table] = len(rows)
    manifest = {"outlet": outlet_id, "interval_start": start.isoformat(), "interval_id": writer.interval_id(start),
                "published_at": datetime.now(timezone.utc).isoformat(), "rows": counts,
                "pipeline_version": marsad.PIPELINE_VERSION, "stages": summaries or {}}
    writer.write_json_atomic(manifest, writer.manifest_path(lake, start, outlet_id))
    shutil.rmtree(stage, ignore_errors=True)
    return {"outlet": outlet_id, "interval_start": start.isoformat(), **counts}


def run_interval(start: datetime | str | None, *, outlets: list[str] | None = None, lake: Path | None = None,
                 config_path: Path | str | None = None, topics: Path | str | None = None) -> list[dict]:
    """Crawl + process + validate + publish one interval for the selected outlets, without a scheduler.
    A failing outlet is reported and does not stop the others."""
    start = as_interval_start(start)
    results = []
    for oid in plan_outlets(outlets, config_path):
        stages: dict = {}
        try:
            stages["crawl"] = crawl_outlet(oid, start, lake=lake, config_path=config_path)
            stages["process"] = process_outlet(oid, start, lake=lake, config_path=config_path, topics=topics)
            stages["validate"] = validate_outlet(oid, start, lake=lake, config_path=config_path, topics=topics)
            stages["publish"] = publish_outlet(oid, start, lake=lake, summaries=stages)
            results.append({"outlet": oid, "ok": True, **stages["publish"]})
        except Exception as exc:  # one outlet's failure must not lose the others
            log.exception("%s failed", oid)
            results.append({"outlet": oid, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    return results
