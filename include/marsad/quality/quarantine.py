"""The validate stage: GX suites on the staged candidates → accepted rows, quarantined rows, batch verdict.

1. the ``articles`` suite (row checks): a row failing a critical expectation goes to quarantine with the
   failed expectations' names as ``reason_codes``;
2. dedup against the outlet's earlier intervals in the lake: an ``article_id`` already published is not
   published again; the same story under another URL of the outlet (same ``title_key`` within
   ``TITLE_KEY_WINDOW`` and a near-identical body, SimHash distance ≤ ``TITLE_KEY_MAX_DISTANCE``) neither;
3. the ``fetch_log`` suite (batch checks) on the fetch log and a one-row summary of the batch (fetch error
   rate, extraction failure rate, quarantine rate, volume against the outlet's trailing average): warnings
   go to the task log and the run manifest; a critical failure raises :class:`BatchRejected` — nothing is
   published for the outlet-hour and ``runs/…/<interval>-<outlet>.rejected.json`` says why.

The verdict (warnings, batch metrics, expectation results) is staged as ``quality.json``; publish copies it
into the run manifest.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path


from marsad.config import OutletsFile, lake_root, load_outlets, topics_path
from marsad.intervals import as_interval_start
from marsad.lake import storage, writer

log = logging.getLogger(__name__)
TITLE_KEY_WINDOW = timedelta(days=7)
TITLE_KEY_MAX_DISTANCE = 10  # SimHash bits; recurring headlines with new bodies differ by far more
TRAILING_WINDOW = timedelta(hours=24)
TRAILING_MIN_INTERVALS = 6
TRAILING_MIN_MEAN = 2.0
EXTRACTION_COLLAPSE_MIN_PAGES = 10


class BatchRejected(RuntimeError):
    """A critical batch-level check failed: the outlet-hour is not published."""


def _validation_frames(table):
    import pandas as pd

    df = table.to_pandas()
    published = pd.to_datetime(df["published_at"], utc=True)
    fetched = pd.to_datetime(df["fetched_at"], utc=True)
    df["published_lead_s"] = (published - fetched).dt.total_seconds()
    df["published_epoch_s"] = published.map(lambda t: None if pd.isna(t) else t.timestamp())
    df["extraction_error_none"] = df["extraction_error"].map(lambda e: "ok" if e is None or pd.isna(e) else None)
    hits = [{"row": i, "topics_flat": h["topic"], "scores_flat": h["score"]}
            for i, th in enumerate(df["topic_hits"]) for h in (list(th) if th is not None else [])]
    topic_hits = pd.DataFrame(hits, columns=["row", "topics_flat", "scores_flat"])
    return {"articles": df, "topic_hits": topic_hits}


# derived validation columns → the row's columns an operator should look at
_SOURCE_COLUMNS = {"published_lead_s": ("published_at", "fetched_at"), "published_epoch_s": ("published_at",),
                   "extraction_error_none": ("extraction_error",), "topics_flat": ("topics",),
                   "scores_flat": ("topic_hits",)}


def _show(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        value = [{k: v for k, v in h.items() if k != "evidence"} if isinstance(h, dict) else h for h in value]
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def reason_detail(row: dict, reasons: list[str], columns: dict[str, str | None]) -> str:
    """One line per failed check with the values that failed it, e.g. ``language_ar: language='fa'``."""
    parts = []
    for name in reasons:
        col = columns.get(name)
        shown = []
        for c in _SOURCE_COLUMNS.get(col, (col,) if col else ()):
            v = row.get(c)
            shown.append(f"{c}={_show(v)}" + (f" (length {len(v)})" if isinstance(v, str) and "length" in name else ""))
        parts.append(f"{name}: {', '.join(shown)}" if shown else name)
    return "; ".join(parts)


def hamming64(a: int, b: int) -> int:
    return ((a ^ b) & (1 << 64) - 1).bit_count()


def earlier_published(lake: Path, outlet_id: str, start: datetime, ids: list[str],
                      title_keys: list[str]) -> tuple[set[str], dict[str, list[int | None]]]:
    """What earlier intervals of the outlet already published: the ids among ``ids`` (any time before) and,
    per title_key among ``title_keys``, the SimHashes of articles published within ``TITLE_KEY_WINDOW``."""
    base = storage.as_path(lake) / "articles"
    own = writer.part_path(lake, "articles", outlet_id, start)
    files = [p for p in base.glob(f"date=*/outlet={outlet_id}/*.parquet") if p != own]
    if not files or not (ids or title_keys):
        return set(), {}
    import duckdb

    con = duckdb.connect()
    storage.duckdb_register(con, base)
    found = con.execute(
        "SELECT article_id, title_key, simhash, interval_start >= ? AS recent "
        "FROM read_parquet(?, union_by_name=true) WHERE interval_start < ? "
        "AND (article_id IN (SELECT unnest(?)) OR (title_key IN (SELECT unnest(?)) AND interval_start >= ?))",
        [start - TITLE_KEY_WINDOW, [str(f) for f in files], start, ids, title_keys, start - TITLE_KEY_WINDOW]).fetchall()
    wanted = set(ids)
    seen_ids = {aid for aid, _tk, _sh, _r in found if aid in wanted}
    by_key: dict[str, list[int | None]] = {}
    for _aid, tk, sh, recent in found:
        if recent and tk in title_keys:
            by_key.setdefault(tk, []).append(sh)
    return seen_ids, by_key


def earlier_article_ids(lake: Path, outlet_id: str, start: datetime, ids: list[str]) -> set[str]:
    """Ids among ``ids`` already published by an earlier interval of the outlet (cross-interval dedup)."""
    return earlier_published(lake, outlet_id, start, ids, [])[0]


def _same_story(simhash: int | None, earlier: list[int | None]) -> bool:
    if simhash is None:
        return True
    return any(s is None or hamming64(simhash, s) <= TITLE_KEY_MAX_DISTANCE for s in earlier)


def trailing_volume(lake: Path, outlet_id: str, start: datetime) -> tuple[float | None, int]:
    """Mean accepted articles of the outlet's published intervals in ``TRAILING_WINDOW`` before ``start``
    (from the run manifests, which also record hours with zero articles) and how many intervals it used."""
    counts = []
    t = start - TRAILING_WINDOW
    while t < start:
        p = writer.manifest_path(lake, t, outlet_id)
        if p.exists():
            try:
                counts.append(int(json.loads(p.read_text(encoding="utf-8"))["rows"]["articles"]))
            except (OSError, ValueError, KeyError, TypeError):
                pass
        t += timedelta(hours=1)
    return (sum(counts) / len(counts) if counts else None), len(counts)


def batch_summary(*, fetch_log, article_pages: int, extraction_failures: int, candidates: int, quarantined: int,
                  accepted: int, trailing_mean: float | None, trailing_n: int) -> dict:
    attempts = len(fetch_log)
    failures = sum(1 for f in fetch_log.column("failure_class").to_pylist() if f) if attempts else 0
    ratio = None
    if trailing_mean is not None and trailing_n >= TRAILING_MIN_INTERVALS and trailing_mean >= TRAILING_MIN_MEAN:
        ratio = round(accepted / trailing_mean, 4)
    extraction_rate = extraction_failures / article_pages if article_pages else None
    return {
        "fetch_attempts": attempts, "fetch_failures": failures,
        "fetch_error_rate": round(failures / attempts, 4) if attempts else None,
        "article_pages": article_pages, "extraction_failures": extraction_failures,
        "extraction_failure_rate": round(extraction_rate, 4) if extraction_rate is not None else None,
        "extraction_failure_rate_gated": round(extraction_rate, 4)
        if extraction_rate is not None and article_pages >= EXTRACTION_COLLAPSE_MIN_PAGES else None,
        "candidates": candidates, "quarantined": quarantined, "accepted": accepted,
        "quarantine_rate": round(quarantined / candidates, 4) if candidates else None,
        "trailing_mean": round(trailing_mean, 3) if trailing_mean is not None else None,
        "trailing_intervals": trailing_n, "volume_ratio": ratio,
    }


def _batch_frames(fetch_log, summary: dict) -> dict:
    import pandas as pd

    batch = pd.DataFrame([{k: (float(v) if isinstance(v, (int, float)) else v) if v is not None else float("nan")
                           for k, v in summary.items()}])
    return {"fetch_log": fetch_log.select(["outlet", "failure_class", "status"]).to_pandas(), "batch": batch}


def rejected_manifest_path(lake: Path, start: datetime, outlet_id: str) -> Path:
    p = writer.manifest_path(lake, start, outlet_id)
    return p.with_name(p.name.removesuffix(".json") + ".rejected.json")


def validate_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None,
                    config_path: Path | str | None = None, topics: Path | str | None = None,
                    run_key: str = "local") -> dict:
    """Split staged candidates into accepted rows and quarantined rows (with reason codes) and run the
    batch checks. Raises :class:`BatchRejected` on a critical batch failure."""
    from marsad.quality.suites import validate_frames
    from marsad.tag.tagger import Tagger

    lake = lake_root(lake)
    cfg: OutletsFile = load_outlets(config_path)
    start = as_interval_start(start)
    iid = writer.interval_id(start)
    run_name = f"{outlet_id}-{iid}"
    stage = writer.staging_dir(lake, outlet_id, start, run_key)
    table = storage.read_table(stage / "candidates.parquet")
    taxonomy = Tagger.from_file(topics or topics_path()).topics
    frames = _validation_frames(table)
    outcome = validate_frames("articles", frames, {"outlets": [o.id for o in cfg.outlets], "topics": taxonomy},
                              lake=lake, run_name=run_name, run_time=start)
    rows = table.to_pylist()
    already, by_title = earlier_published(lake, outlet_id, start, [r["article_id"] for r in rows if r["article_id"]],
                                          sorted({r["title_key"] for r in rows if r.get("title_key")}))
    columns = {r["name"]: r.get("column") for r in outcome.results}
    accepted, quarantined, republished, same_story = [], [], 0, 0
    for i, row in enumerate(rows):
        reasons = outcome.row_reasons.get(i, [])
        if reasons:
            quarantined.append({**row, "reason_codes": reasons, "reason_detail": reason_detail(row, reasons, columns)})
        elif row["article_id"] in already:
            republished += 1
        elif row.get("title_key") in by_title and _same_story(row.get("simhash"), by_title[row["title_key"]]):
            same_story += 1  # the same story under another URL of the outlet, published earlier
        else:
            accepted.append(row)

    fetch_log = storage.read_table(stage / "fetch_log.parquet")
    article_pages = len(rows)
    extraction_failures = sum(1 for r in rows if r.get("extraction_error"))
    trailing_mean, trailing_n = trailing_volume(lake, outlet_id, start)
    summary = batch_summary(fetch_log=fetch_log, article_pages=article_pages, extraction_failures=extraction_failures,
                            candidates=len(rows), quarantined=len(quarantined), accepted=len(accepted),
                            trailing_mean=trailing_mean, trailing_n=trailing_n)
    from marsad.crawl.fetch import FAILURE_CLASSES

    batch = validate_frames("fetch_log", _batch_frames(fetch_log, summary),
                            {"outlet": [outlet_id], "failure_classes": list(FAILURE_CLASSES)},
                            lake=lake, run_name=run_name, run_time=start)
    warnings = list(outcome.warnings) + list(batch.warnings)
    for w in warnings:
        log.warning("%s %s quality warning: %s", outlet_id, iid, w)
    failures = list(outcome.batch_failures) + list(batch.batch_failures)
    reasons_count: dict[str, int] = {}
    for q in quarantined:
        for r in q["reason_codes"]:
            reasons_count[r] = reasons_count.get(r, 0) + 1
    verdict = {"outlet": outlet_id, "interval_start": start.isoformat(), "accepted": len(accepted),
               "quarantined": len(quarantined), "already_published": republished,
               "same_story_published": same_story, "quarantine_reasons": reasons_count,
               "warnings": warnings, "batch_failures": failures, "batch": summary,
               "expectations": outcome.results + batch.results}
    if failures:
        message = (f"{outlet_id} {iid}: critical batch checks failed: " + "; ".join(failures)
                   + " — nothing published for this outlet-hour")
        writer.write_json_atomic({**verdict, "status": "rejected", "message": message,
                                  "rejected_at": datetime.now(UTC).isoformat()},
                                 rejected_manifest_path(lake, start, outlet_id))
        log.error(message)
        raise BatchRejected(message)
    storage.write_table(writer.to_table(accepted, "articles"), stage / "accepted.parquet")
    storage.write_table(writer.to_table(quarantined, "quarantine"), stage / "quarantine.parquet")
    writer.write_json_atomic(verdict, stage / "quality.json")
    return verdict
