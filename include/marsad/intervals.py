"""Intervals: every stage works on one UTC hour, keyed by its start."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

HOUR = timedelta(hours=1)


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


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
