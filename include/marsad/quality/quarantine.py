"""The validate stage: GX suite on the staged candidates → accepted rows and quarantined rows."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from marsad.config import OutletsFile, lake_root, load_outlets, topics_path
from marsad.intervals import as_interval_start
from marsad.lake import writer

log = logging.getLogger(__name__)


class BatchRejected(RuntimeError):
    """A critical batch-level check failed: the outlet-hour is not published."""


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
