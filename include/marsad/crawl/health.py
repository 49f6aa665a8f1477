"""Outlet health, derived from the lake's fetch log (``<lake>/fetch_log/date=*/outlet=<id>/*.parquet``).

Per outlet-hour (interval) of the fetch log:

- **ok**       the outlet answered: at least one discovery request (feed, sitemap, listing) succeeded or
               answered 304, and at most ``DEGRADED_SHARE`` of the final request outcomes failed;
- **degraded** the outlet answered, but more than ``DEGRADED_SHARE`` of the requests failed;
- **failing**  no discovery request succeeded (nothing could be discovered that hour).

The outlet's status is ``failing`` after ``FAILING_AFTER`` consecutive failing intervals, ``degraded``
after fewer, or when its latest interval is degraded, ``ok`` otherwise, and ``unknown`` without data.
Later stages call :func:`outlet_health` / :func:`all_outlet_health`; ``marsad outlets check`` prints it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from marsad.config import lake_root
from marsad.lake import storage

DISCOVERY_KINDS = ("feed", "sitemap", "listing")
DEGRADED_SHARE = 0.2
FAILING_AFTER = 3
LOOKBACK_DAYS = 14


@dataclass
class IntervalHealth:
    interval_start: datetime
    status: str  # ok | degraded | failing
    requests: int
    failures: int
    failure_classes: dict[str, int] = field(default_factory=dict)


@dataclass
class OutletHealth:
    outlet: str
    status: str  # ok | degraded | failing | unknown
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    consecutive_failures: int = 0  # consecutive failing intervals, newest first
    intervals: int = 0
    last_failure_class: str | None = None
    last_error: str | None = None
    latest: IntervalHealth | None = None

    def summary(self) -> str:
        if self.status == "unknown":
            return f"{self.outlet}: unknown (no fetch log in the lake yet)"
        parts = [f"{self.outlet}: {self.status}",
                 f"last success {self.last_success.isoformat() if self.last_success else 'never'}",
                 f"{self.consecutive_failures} consecutive failing interval(s)"]
        if self.latest is not None:
            parts.append(f"latest interval {self.latest.interval_start:%Y-%m-%dT%H}: "
                         f"{self.latest.failures}/{self.latest.requests} requests failed")
            if self.latest.failure_classes:
                parts.append(", ".join(f"{k}={v}" for k, v in sorted(self.latest.failure_classes.items())))
        if self.last_failure_class:
            parts.append(f"last failure {self.last_failure_class}: {(self.last_error or '')[:120]}")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


def _aware(v) -> datetime | None:
    if v is None:
        return None
    if hasattr(v, "to_pydatetime"):
        v = v.to_pydatetime()
    return v if v.tzinfo else v.replace(tzinfo=timezone.utc)


def _read_rows(lake: Path, outlet_id: str | None, since: date) -> list[dict]:

    rows: list[dict] = []
    root = lake / "fetch_log"
    if not root.is_dir():
        return rows
    cols = ["outlet", "interval_start", "url", "kind", "attempt", "status", "failure_class", "error", "fetched_at"]
    for day_dir in sorted(root.glob("date=*")):
        try:
            day = date.fromisoformat(day_dir.name.removeprefix("date="))
        except ValueError:
            continue
        if day < since:
            continue
        pattern = f"outlet={outlet_id}" if outlet_id else "outlet=*"
        for odir in day_dir.glob(pattern):
            oid = odir.name.removeprefix("outlet=")
            for f in sorted(odir.glob("*.parquet")):
                if f.name.startswith("."):
                    continue  # a commit in progress
                t = storage.read_table(f, columns=[c for c in cols if c != "outlet"])
                for r in t.to_pylist():
                    r["outlet"] = oid
                    rows.append(r)
    return rows


def _final_outcomes(rows: list[dict]) -> list[dict]:
    """One row per (kind, url): its last attempt (retries and redirect hops collapse)."""
    last: dict[tuple, dict] = {}
    for r in sorted(rows, key=lambda r: (_aware(r["fetched_at"]) or datetime.min.replace(tzinfo=timezone.utc),
                                         r.get("attempt") or 0)):
        last[(r["kind"], r["url"])] = r
    return [r for r in last.values() if not (r["status"] and 300 <= r["status"] < 400 and r["status"] != 304)]


def _succeeded(r: dict) -> bool:
    return not r["failure_class"] and r["status"] is not None and (200 <= r["status"] < 300 or r["status"] == 304)


def interval_health(start: datetime, rows: list[dict]) -> IntervalHealth:
    finals = [r for r in _final_outcomes(rows) if r["kind"] != "robots"]
    failed = [r for r in finals if not _succeeded(r)]
    discovery_ok = any(_succeeded(r) for r in finals if r["kind"] in DISCOVERY_KINDS)
    if not discovery_ok:
        status = "failing"
    elif finals and len(failed) / len(finals) > DEGRADED_SHARE:
        status = "degraded"
    else:
        status = "ok"
    classes = Counter(r["failure_class"] or f"http_{r['status']}" for r in failed)
    return IntervalHealth(start, status, len(finals), len(failed), dict(classes))


def health_from_rows(outlet_id: str, rows: list[dict], *, failing_after: int = FAILING_AFTER) -> OutletHealth:
    if not rows:
        return OutletHealth(outlet_id, "unknown")
    by_interval: dict[datetime, list[dict]] = {}
    for r in rows:
        by_interval.setdefault(_aware(r["interval_start"]), []).append(r)
    intervals = [interval_health(k, by_interval[k]) for k in sorted(by_interval)]
    consecutive = 0
    for ih in reversed(intervals):
        if ih.status != "failing":
            break
        consecutive += 1
    latest = intervals[-1]
    if consecutive >= failing_after:
        status = "failing"
    elif consecutive or latest.status == "degraded":
        status = "degraded"
    else:
        status = "ok"
    ok_times = [_aware(r["fetched_at"]) for r in rows if _succeeded(r) and r["kind"] != "robots" and r["fetched_at"]]
    times = [_aware(r["fetched_at"]) for r in rows if r["fetched_at"]]
    failures = sorted((r for r in rows if r["failure_class"] and r["fetched_at"]), key=lambda r: _aware(r["fetched_at"]))
    return OutletHealth(outlet_id, status, last_success=max(ok_times) if ok_times else None,
                        last_attempt=max(times) if times else None, consecutive_failures=consecutive,
                        intervals=len(intervals), last_failure_class=failures[-1]["failure_class"] if failures else None,
                        last_error=failures[-1]["error"] if failures else None, latest=latest)


def outlet_health(outlet_id: str, lake: str | Path | None = None, *, lookback_days: int = LOOKBACK_DAYS,
                  now: datetime | None = None) -> OutletHealth:
    """Health of one outlet from the fetch log of the last ``lookback_days`` days."""
    now = now or datetime.now(timezone.utc)
    rows = _read_rows(lake_root(lake), outlet_id, (now - timedelta(days=lookback_days)).date())
    return health_from_rows(outlet_id, rows)


def all_outlet_health(lake: str | Path | None = None, *, lookback_days: int = LOOKBACK_DAYS,
                      now: datetime | None = None) -> dict[str, OutletHealth]:
    now = now or datetime.now(timezone.utc)
    rows = _read_rows(lake_root(lake), None, (now - timedelta(days=lookback_days)).date())
    grouped: dict[str, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r["outlet"], []).append(r)
    return {oid: health_from_rows(oid, rs) for oid, rs in sorted(grouped.items())}
