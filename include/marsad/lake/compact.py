"""Daily compaction: one file per outlet and table for a finished day.

``part-<YYYYMMDDTHH>.parquet`` hourly files (and an earlier ``part-<YYYYMMDD>.parquet``) of a day are
merged into ``part-<YYYYMMDD>.parquet``, sorted by published_at (the outlet is the file's partition, so
the day's rows of an outlet are one file sorted by time) in row groups of ``ROW_GROUP_ROWS`` rows whose
min/max statistics let DuckDB skip row groups for published_at filters and whole files for outlet filters. The hourly file of an interval is authoritative: rows of that interval in an older
compacted file are replaced by it. The compacted file is committed atomically before the hourly
files are removed, and its row count is checked against the inputs first.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from marsad.config import lake_root
from marsad.lake.schema import TABLES
from marsad.lake import storage
from marsad.lake.writer import write_parquet_atomic

log = logging.getLogger(__name__)
HOURLY_RE = re.compile(r"^part-\d{8}T\d{2}\.parquet$")
ROW_GROUP_ROWS = 32_768
SORT = {"articles": [("published_at", "ascending"), ("article_id", "ascending")],
        "quarantine": [("published_at", "ascending"), ("article_id", "ascending")],
        "fetch_log": [("fetched_at", "ascending"), ("url", "ascending"), ("attempt", "ascending")]}


def compact_outlet_dir(table: str, outlet_dir: Path, day: date) -> dict:
    daily = outlet_dir / f"part-{day:%Y%m%d}.parquet"
    hourly = sorted(p for p in outlet_dir.iterdir() if HOURLY_RE.match(p.name))
    if not hourly:
        return {"files_before": int(daily.exists()), "files_after": int(daily.exists()), "rows": None}
    parts = [storage.read_table(p, schema=TABLES[table]) for p in hourly]
    covered = pa.concat_tables(parts).column("interval_start").unique()
    if daily.exists():
        old = storage.read_table(daily, schema=TABLES[table])
        parts.append(old.filter(pc.invert(pc.is_in(old.column("interval_start"), value_set=covered))))
    merged = pa.concat_tables(parts)
    expected = sum(len(t) for t in parts)
    if len(merged) != expected:
        raise RuntimeError(f"compaction of {outlet_dir} lost rows: {len(merged)} != {expected}")
    write_parquet_atomic(merged, daily, sort_by=SORT[table], row_group_size=ROW_GROUP_ROWS)
    if storage.parquet_file(daily).metadata.num_rows != expected:  # hourly files stay until this holds
        raise RuntimeError(f"compacted {daily} does not hold the {expected} input rows")
    for p in hourly:
        storage.unlink(p)
    return {"files_before": len(hourly) + (1 if len(parts) > len(hourly) else 0), "files_after": 1, "rows": len(merged)}


def compact_day(day: date, lake: str | Path | None = None) -> dict:
    root = lake_root(lake)
    report: dict = {"date": day.isoformat(), "tables": {}}
    for table in TABLES:
        day_dir = root / table / f"date={day:%Y-%m-%d}"
        if not day_dir.is_dir():
            continue
        stats = {d.name.removeprefix("outlet="): compact_outlet_dir(table, d, day)
                 for d in sorted(day_dir.iterdir()) if d.is_dir() and d.name.startswith("outlet=")}
        report["tables"][table] = stats
        log.info("compacted %s %s: %s", table, day, stats)
    report["files_before"] = sum(s["files_before"] for t in report["tables"].values() for s in t.values())
    report["files_after"] = sum(s["files_after"] for t in report["tables"].values() for s in t.values())
    return report
