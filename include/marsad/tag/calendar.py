"""Hijri calendar helpers (hijridate, Umm al-Qura tables, 1343–1500 AH)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from hijridate import Gregorian

HIJRI_MONTHS = {
    1: "محرم",
    2: "صفر",
    3: "ربيع الأول",
    4: "ربيع الآخر",
    5: "جمادى الأولى",
    6: "جمادى الآخرة",
    7: "رجب",
    8: "شعبان",
    9: "رمضان",
    10: "شوال",
    11: "ذو القعدة",
    12: "ذو الحجة",
}


@lru_cache(maxsize=4096)
def _hijri(d: date) -> tuple[int, int, int] | None:
    try:
        h = Gregorian(d.year, d.month, d.day).to_hijri()
    except (OverflowError, ValueError):
        return None
    return (h.year, h.month, h.day)


def to_hijri(when: date | datetime | None) -> tuple[int, int, int] | None:
    """(year, month, day) in the Umm al-Qura calendar, or None outside its range / for None."""
    if when is None:
        return None
    if isinstance(when, datetime):
        when = when.date()
    return _hijri(when)


def hijri_iso(when: date | datetime | None) -> str | None:
    h = to_hijri(when)
    return None if h is None else f"{h[0]:04d}-{h[1]:02d}-{h[2]:02d}"


def in_windows(when: date | datetime | None, windows, lead_days: int = 0) -> tuple[int, int, int] | None:
    """The Hijri date if ``when`` (or ``when + lead_days``, i.e. shortly before a window) falls in
    one of ``windows`` (objects with month, from_day, to_day); else None."""
    if when is None:
        return None
    if isinstance(when, datetime):
        when = when.date()
    for delta in (0, lead_days) if lead_days else (0,):
        h = _hijri(when + timedelta(days=delta))
        if h is None:
            continue
        for w in windows:
            if h[1] == w.month and w.from_day <= h[2] <= w.to_day:
                return _hijri(when)
    return None
