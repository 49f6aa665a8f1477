"""Compose the stages for one outlet-hour: crawl → process → validate → publish.

Called by the Airflow DAGs (one mapped task per outlet) and by ``marsad run``. Each stage lives in its
own module, reads the previous stage's files and returns a small JSON-able summary (what Airflow
keeps in XCom):

- crawl    (marsad.crawl.crawler):     discovery + polite fetch → ``raw/…/<id>-<interval>.warc.gz``;
           an existing capture is reused, never re-crawled (re-runs and backfills re-derive from raw)
- process  (marsad.process):           WARC → extraction, cleaning, tagging →
           ``_staging/<interval>/<outlet>/candidates.parquet`` and ``fetch_log.parquet``
- validate (marsad.quality.quarantine): GX suite → ``accepted.parquet`` / ``quarantine.parquet``;
           raises :class:`BatchRejected` when a critical batch-level expectation fails
- publish  (marsad.lake.publish):      atomic commit of the part files + run manifest
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from marsad.config import load_outlets
from marsad.crawl.crawler import crawl_outlet
from marsad.intervals import HOUR, as_interval_start
from marsad.lake.publish import publish_outlet
from marsad.process import process_outlet
from marsad.quality.quarantine import BatchRejected, validate_outlet

__all__ = ["HOUR", "BatchRejected", "as_interval_start", "crawl_outlet", "plan_outlets", "process_outlet",
           "publish_outlet", "run_interval", "validate_outlet"]
log = logging.getLogger(__name__)


def plan_outlets(outlet_ids: list[str] | None = None, config_path: str | Path | None = None) -> list[str]:
    """Ids of the outlets to run: the given ones (validated) or every enabled outlet."""
    cfg = load_outlets(config_path)
    return [o.id for o in cfg.select(outlet_ids)]


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
