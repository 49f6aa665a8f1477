"""Atomic lake commits.

Layout (contract, see DESIGN.md):
  <table>/date=YYYY-MM-DD/outlet=<id>/part-<YYYYMMDDTHH>.parquet
Each outlet-hour owns exactly one part file per table. A commit writes to a hidden temporary name in
the same directory and renames it over the final name, so readers never see a partial file and a
re-run replaces exactly that interval's files. Tables with no rows for the interval have their part
file removed (a re-run that finds less leaves no stale rows).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from marsad.lake import storage
from marsad.lake.schema import ALL_TABLES, TABLES


def interval_id(start: datetime) -> str:
    return start.strftime("%Y%m%dT%H")


def part_path(lake: Path, table: str, outlet: str, start: datetime) -> Path:
    return storage.as_path(lake) / table / f"date={start:%Y-%m-%d}" / f"outlet={outlet}" / f"part-{interval_id(start)}.parquet"


def raw_path(lake: Path, outlet: str, start: datetime) -> Path:
    return (storage.as_path(lake) / "raw" / f"outlet={outlet}" / f"date={start:%Y-%m-%d}" / f"hour={start:%H}"
            / f"{outlet}-{interval_id(start)}.warc.gz")


def staging_dir(lake: Path, outlet: str, start: datetime, run_key: str = "local") -> Path:
    """Working files of one run of an outlet-hour. Keyed by run, so two runs of the same hour (a backfill
    and a manual re-run, say) never share or delete each other's staged files."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_key)[:120] or "local"
    return storage.as_path(lake) / "_staging" / interval_id(start) / outlet / safe


def manifest_path(lake: Path, start: datetime, outlet: str | None = None) -> Path:
    name = f"{interval_id(start)}.json" if outlet is None else f"{interval_id(start)}-{outlet}.json"
    return storage.as_path(lake) / "runs" / f"date={start:%Y-%m-%d}" / name


def to_table(rows: list[dict], table: str) -> pa.Table:
    schema = ALL_TABLES[table]
    return pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)


def write_parquet_atomic(table: pa.Table, path: Path, *, sort_by: list[tuple[str, str]] | None = None,
                         row_group_size: int | None = None) -> Path:
    """Write ``table`` to a hidden temporary name in the target directory, fsync, rename over ``path``.
    With ``sort_by`` the rows are sorted and the order is recorded in the file's ``sorting_columns``
    metadata; row-group min/max statistics then prune range filters (published_at)."""
    kwargs: dict = {}
    if sort_by:
        table = table.sort_by(sort_by)
        kwargs["sorting_columns"] = pq.SortingColumn.from_ordering(table.schema, sort_by)
    if row_group_size:
        kwargs["row_group_size"] = row_group_size
    if storage.is_remote(path):  # one PUT of the finished file: atomic per object
        storage.write_table(table, path, compression="zstd", **kwargs)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", **kwargs)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def commit_partition(lake: Path, table: str, outlet: str, start: datetime, rows: list[dict]) -> Path | None:
    """Replace the outlet-hour's part file of ``table`` with ``rows`` (removed when rows is empty)."""
    path = part_path(lake, table, outlet, start)
    _drop_interval_from_daily(path.parent / f"part-{start:%Y%m%d}.parquet", table, start)
    if not rows:
        storage.unlink(path)
        return None
    sort = [("published_at", "ascending"), ("article_id", "ascending")] if table != "fetch_log" else \
        [("fetched_at", "ascending"), ("url", "ascending"), ("attempt", "ascending")]
    return write_parquet_atomic(to_table(rows, table), path, sort_by=sort)


def write_json_atomic(obj: dict, path: Path) -> Path:
    if storage.is_remote(path):
        storage.put_bytes(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8"), path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _drop_interval_from_daily(daily: Path, table: str, start: datetime) -> None:
    """A re-published interval replaces its rows in an already compacted day file."""
    if not daily.exists():
        return
    import pyarrow.compute as pc

    old = storage.read_table(daily, schema=TABLES[table])
    keep = old.filter(pc.not_equal(old.column("interval_start"), pa.scalar(start, old.schema.field("interval_start").type)))
    if len(keep) != len(old):
        if len(keep):
            write_parquet_atomic(keep, daily)
        else:
            storage.unlink(daily)
