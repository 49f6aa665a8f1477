"""The publish stage: atomic commit of an outlet-hour's staged tables and its run manifest."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path


import marsad
from marsad.config import lake_root
from marsad.intervals import as_interval_start
from marsad.lake import storage, writer


def publish_outlet(outlet_id: str, start: datetime, *, lake: Path | None = None, summaries: dict | None = None,
                   dry_run: bool = False, run_key: str = "local") -> dict:
    """Atomically replace the outlet-hour's part files and write its run manifest.
    ``dry_run``: report what would be published, write nothing to the lake tables (staging is cleared)."""
    lake = lake_root(lake)
    start = as_interval_start(start)
    stage = writer.staging_dir(lake, outlet_id, start, run_key)
    counts = {}
    for table, fname in (("articles", "accepted.parquet"), ("quarantine", "quarantine.parquet"),
                         ("fetch_log", "fetch_log.parquet")):
        rows = storage.read_table(stage / fname).to_pylist()
        if not dry_run:
            writer.commit_partition(lake, table, outlet_id, start, rows)
        counts[table] = len(rows)
    if dry_run:
        _drop_stage(stage)
        return {"outlet": outlet_id, "interval_start": start.isoformat(), "dry_run": True, **counts}
    quality = {}
    if (stage / "quality.json").exists():  # the validate stage's verdict: batch warnings, metrics, expectations
        quality = json.loads((stage / "quality.json").read_text(encoding="utf-8"))
    manifest = {"outlet": outlet_id, "interval_start": start.isoformat(), "interval_id": writer.interval_id(start),
                "published_at": datetime.now(UTC).isoformat(), "status": "published", "rows": counts,
                "warnings": quality.get("warnings", []), "quality": quality,
                "pipeline_version": marsad.PIPELINE_VERSION, "stages": summaries or {}}
    writer.write_json_atomic(manifest, writer.manifest_path(lake, start, outlet_id))
    rejected = writer.manifest_path(lake, start, outlet_id)
    storage.unlink(rejected.with_name(rejected.name.removesuffix(".json") + ".rejected.json"))
    _drop_stage(stage)
    return {"outlet": outlet_id, "interval_start": start.isoformat(), **counts, "warnings": manifest["warnings"]}


def _drop_stage(stage: Path) -> None:
    """Remove the run's staged files, and the interval's staging folders once they are empty."""
    if storage.is_remote(stage):  # no folders on an object store: removing the run's prefix is all
        storage.rmtree(stage)
        return
    shutil.rmtree(stage, ignore_errors=True)
    for parent in (stage.parent, stage.parent.parent):
        try:
            parent.rmdir()
        except OSError:
            break
