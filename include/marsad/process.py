"""The process stage: captured pages → cleaned, tagged candidate rows (+ the fetch log), from the WARC."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pyarrow as pa

import marsad
from marsad.config import Outlet, lake_root, load_outlets, topics_path
from marsad.crawl.capture import read_warc
from marsad.crawl.fetch import decode_html
from marsad.crawl.urls import article_id, canonical_url
from marsad.intervals import as_interval_start
from marsad.lake import storage, writer
from marsad.tag.calendar import hijri_iso
from marsad.text.arabic import normalize_for_match, tokens


def title_key(title: str | None) -> str | None:
    if not title:
        return None
    return hashlib.sha1(" ".join(tokens(normalize_for_match(title))).encode()).hexdigest()[:16]


def simhash64(text: str) -> int:
    """64-bit SimHash of word 3-shingles of the normalised text (signed, to fit int64).

    Each shingle is hashed with blake2b-64; bit b of the result is set when more shingles have bit b set
    than not. Near-identical texts (wire copy, the same story under two URLs) differ in few bits; the
    Hamming distance is what the clusters (marsad.lake.clusters) and cross-interval title_key dedup use."""
    import numpy as np

    words = tokens(normalize_for_match(text))
    if not words:
        return 0
    shingles = [" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))]
    hs = np.array([int.from_bytes(hashlib.blake2b(sh.encode(), digest_size=8).digest(), "big") for sh in shingles],
                  dtype=np.uint64)
    ones = ((hs[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).sum(axis=0)
    value = sum(1 << bit for bit in range(64) if 2 * int(ones[bit]) > len(shingles))
    return value - (1 << 64) if value >= 1 << 63 else value


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
                "title_key": title_key(ex.title), "simhash": simhash64(ex.body), "hijri_date": hijri_iso(ex.published_at)})
    return row


def process_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None,
                   config_path: Path | str | None = None, topics: Path | str | None = None,
                   run_key: str = "local") -> dict:
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
        if rec.kind != "article" or rec.status is None or not 200 <= rec.status < 300 or rec.failure_class:
            # failed fetches (too_large, not_html, bad_encoding, …) are in fetch_log, not candidates
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
    stage = writer.staging_dir(lake, outlet_id, start, run_key)
    storage.mkdir(stage)
    cand_schema = writer.TABLES["articles"].append(pa.field("extraction_error", pa.string()))
    storage.write_table(pa.Table.from_pylist([{n: r.get(n) for n in cand_schema.names} for r in rows], schema=cand_schema),
                        stage / "candidates.parquet")
    fetch_rows = _fetch_log_rows(outlet_id, start, raw)
    storage.write_table(writer.to_table(fetch_rows, "fetch_log"), stage / "fetch_log.parquet")
    return {"outlet": outlet_id, "interval_start": start.isoformat(), "candidates": len(rows),
            "duplicates_in_batch": duplicates, "fetch_attempts": len(fetch_rows),
            "fetch_failures": sum(1 for r in fetch_rows if r["failure_class"]), "rules_version": tagger.version}
