"""Publication dates of Arabic news pages.

``parse_arabic_date`` reads one date expression as Arabic outlets print it:

- Gregorian month names in their Egyptian/Gulf (يناير … ديسمبر), Levantine (كانون الثاني … كانون الأول,
  also combined "نيسان / أبريل"), Maghrebi (جانفي، فيفري، أفريل، ماي، جوان، جويلية، أوت) and Moroccan
  (يوليوز، غشت، شتنبر، نونبر، دجنبر) forms, plus English month names;
- numeric dates (2020/08/24, 24-08-2020, ISO 8601) in ASCII, Arabic-Indic or Persian digits;
- times with ص/م, صباحا/مساء (am/pm);
- relative dates (منذ ساعتين، قبل 3 أيام، أمس);
- Hijri dates (12 رمضان 1441 هـ) converted with ``hijridate``.

Naive local times are interpreted in the outlet ``timezone`` and returned timezone-aware in UTC.
Everything here is pure and fast: regular expressions compiled once, no third-party date guesser.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone as dt_timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from marsad.text.arabic import normalize_for_match

UTC = dt_timezone.utc

#: a candidate later than (fetched_at or now) + FUTURE_SKEW is rejected
FUTURE_SKEW = timedelta(minutes=15)
#: dates before this are considered garbage (copyright years, placeholders)
MIN_YEAR = 1990

# ---------------------------------------------------------------------------------------------
# Month names. Keys are written as published; they are folded with normalize_for_match below so
# that أ/إ/آ/ا, ى/ي, ة/ه, diacritics and tatweel variants all match.
_GREGORIAN_MONTHS: dict[str, int] = {
    # Egyptian / Gulf / MSA transliterations
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "إبريل": 4, "ابريل": 4, "مايو": 5, "يونيو": 6,
    "يونيه": 6, "يوليو": 7, "يوليه": 7, "أغسطس": 8, "اغسطس": 8, "أغسطوس": 8, "سبتمبر": 9, "أكتوبر": 10,
    "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12, "دیسمبر": 12,
    # Levantine / Iraqi (Syriac names)
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "اذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5,
    "حزيران": 6, "تموز": 7, "آب": 8, "اب": 8, "أيلول": 9, "ايلول": 9, "تشرين الأول": 10,
    "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الأول": 12, "كانون الاول": 12,
    # Maghrebi (Tunisia, Algeria; French-derived)
    "جانفي": 1, "جانفييه": 1, "فيفري": 2, "فيفريي": 2, "أفريل": 4, "افريل": 4, "ماي": 5, "جوان": 6,
    "جويلية": 7, "جويليه": 7, "أوت": 8, "اوت": 8,  # سبتمبر, ديسمبر as in the Egyptian forms
    # Moroccan
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
    # Libyan (Jamahiriya) names
    "أي النار": 1, "النوار": 2, "الربيع": 3, "الطير": 4, "الماء": 5, "الصيف": 6, "ناصر": 7,
    "هانيبال": 8, "الفاتح": 9, "التمور": 10, "الحرث": 11, "الكانون": 12,
    # English / French (bilingual pages, Maghrebi sites)
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12, "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "decembre": 12,
}

_HIJRI_MONTHS: dict[str, int] = {
    "محرم": 1, "المحرم": 1, "صفر": 2, "ربيع الأول": 3, "ربيع أول": 3, "ربيع الاول": 3,
    "ربيع الآخر": 4, "ربيع الاخر": 4, "ربيع الثاني": 4, "ربيع ثاني": 4, "جمادى الأولى": 5,
    "جمادى الأول": 5, "جمادى الاولى": 5, "جمادي الأولى": 5, "جمادى الآخرة": 6, "جمادى الثانية": 6,
    "جمادى الاخرة": 6, "جمادى الآخر": 6, "جمادي الآخرة": 6, "جمادى الثاني": 6, "رجب": 7,
    "شعبان": 8, "رمضان": 9, "شوال": 10, "ذو القعدة": 11, "ذي القعدة": 11, "ذو الحجة": 12,
    "ذي الحجة": 12,
}

_WEEKDAYS = ["السبت", "الأحد", "الاحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الاربعاء",
             "الخميس", "الجمعة"]


def _fold(s: str) -> str:
    return normalize_for_match(s)


def _alternation(names) -> str:
    # longest first so that "كانون الثاني" wins over a shorter prefix; spaces may be runs
    parts = sorted({_fold(n) for n in names}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in parts)


_G_MONTH_BY_FOLD = {_fold(k): v for k, v in _GREGORIAN_MONTHS.items()}
_H_MONTH_BY_FOLD = {_fold(k): v for k, v in _HIJRI_MONTHS.items()}
_GM = _alternation(_GREGORIAN_MONTHS)
_HM = _alternation(_HIJRI_MONTHS)
_B = r"(?<![\w])"  # left word boundary that works for Arabic letters
_E = r"(?![\w])"   # right word boundary

# "24 نيسان / أبريل 2020", "الإثنين، 24 أغسطس 2020", "2 mars 2017", "24 من شهر أغسطس 2020"
_DMY_NAME_RE = re.compile(
    _B + r"(\d{1,2})(?:st|nd|rd|th|er)?\s*(?:من\s+)?(?:شهر\s+)?(" + _GM + r")" + _E
    + r"(?:\s*[/(\-]\s*(?:" + _GM + r")\s*\)?)?\s*,?\s*(?:سنة|عام)?\s*(\d{4})" + r"(?!\d)",
    re.IGNORECASE,
)
# "June 3, 2020", "أغسطس 24، 2020"
_MDY_NAME_RE = re.compile(
    _B + r"(" + _GM + r")" + _E + r"\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})(?!\d)", re.IGNORECASE
)
_HIJRI_RE = re.compile(
    _B + r"(\d{1,2})\s*(?:من\s+)?(?:شهر\s+)?(" + _HM + r")" + _E + r"\s*,?\s*(\d{4})\s*(?:هـ|ه" + _E + r")?",
)
_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?(?!\d))?",
    re.IGNORECASE,
)
_YMD_RE = re.compile(r"(?<!\d)(\d{4})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{1,2})(?!\d)")
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)")
_TIME_RE = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)\s*(ص|م|صباحا|صباحا|صباح|مساء|مساءا|ظهرا|عصرا|ليلا|فجرا|"
    r"a\.?m\.?|p\.?m\.?)?" + _E,
    re.IGNORECASE,
)
_PM_WORDS = {"م", "مساء", "مساءا", "ظهرا", "عصرا", "ليلا", "pm", "p.m.", "p.m"}
_AM_WORDS = {"ص", "صباحا", "صباح", "فجرا", "am", "a.m.", "a.m"}

# relative: "منذ ساعتين", "قبل 3 أيام", "منذ 5 دقائق", "منذ ساعة"
_UNIT_SECONDS = {
    "ثانيه": 1, "ثانيتين": 2, "ثواني": 1, "ثوان": 1,
    "دقيقه": 60, "دقيقتين": 120, "دقائق": 60, "دقايق": 60,
    "ساعه": 3600, "ساعتين": 7200, "ساعات": 3600,
    "يوم": 86400, "يومين": 172800, "ايام": 86400,
    "اسبوع": 604800, "اسبوعين": 1209600, "اسابيع": 604800,
    "شهر": 2592000, "شهرين": 5184000, "اشهر": 2592000, "شهور": 2592000,
}
_DUALS = {"ثانيتين", "دقيقتين", "ساعتين", "يومين", "اسبوعين", "شهرين"}
_NUMBER_WORDS = {
    "واحد": 1, "واحده": 1, "اثنين": 2, "اثنتين": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4,
    "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمان": 8, "ثمانيه": 8,
    "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10, "بضع": 3,
}
_REL_RE = re.compile(
    r"(?:منذ|قبل)\s+(?:حوالي\s+|نحو\s+)?(\d+|" + "|".join(_NUMBER_WORDS) + r")?\s*("
    + "|".join(sorted(_UNIT_SECONDS, key=len, reverse=True)) + r")" + _E
)
_REL_EN_RE = re.compile(r"(\d+)\s*(minute|min|hour|day|week)s?\s+ago", re.IGNORECASE)
_YESTERDAY_RE = re.compile(_B + r"(?:امس|البارحه|yesterday)" + _E, re.IGNORECASE)
_TODAY_RE = re.compile(_B + r"(?:اليوم|today)" + _E, re.IGNORECASE)
_NOW_RE = re.compile(_B + r"(?:الان|منذ لحظات|قبل قليل|just now)" + _E, re.IGNORECASE)


@lru_cache(maxsize=64)
def get_zone(name: str | None):
    """ZoneInfo for an IANA name; UTC for None or an unknown name."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:  # unknown zone name: fall back to UTC rather than fail the page
        return UTC


def _to_utc(y, mo, d, hh=0, mi=0, ss=0, tz=None, offset: str | None = None) -> datetime | None:
    try:
        if offset:
            if offset.upper() == "Z":
                tzinfo = UTC
            else:
                sign = 1 if offset[0] == "+" else -1
                digits = offset[1:].replace(":", "")
                oh = int(digits[:2])
                om = int(digits[2:4]) if len(digits) >= 4 else 0
                if oh > 14 or om > 59:
                    return None
                tzinfo = dt_timezone(sign * timedelta(hours=oh, minutes=om))
            dt = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss), tzinfo=tzinfo)
        else:
            dt = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss), tzinfo=get_zone(tz))
    except (ValueError, OverflowError):
        return None
    if dt.year < MIN_YEAR:
        return None
    return dt.astimezone(UTC)


def _find_time(text: str, start: int, end: int):
    """A time of day near a date match: first after it (within 40 chars), else just before it."""
    after = _TIME_RE.search(text, end, min(len(text), end + 40))
    m = after
    if m is None:
        m_before = None
        for m2 in _TIME_RE.finditer(text, max(0, start - 30), start):
            m_before = m2
        m = m_before
    if m is None:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    mer = (m.group(4) or "").lower()
    if mer in _PM_WORDS and h < 12:
        h += 12
    elif mer in _AM_WORDS and h == 12:
        h = 0
    if h > 23 or mi > 59 or s > 59:
        return None
    return h, mi, s


def _month_num(folded_name: str, table: dict[str, int]) -> int | None:
    return table.get(re.sub(r"\s+", " ", folded_name.lower()))


def _gregorian_candidates(t: str, tz):
    """(position, datetime) for every absolute Gregorian date found in folded text ``t``."""
    out = []
    for m in _ISO_RE.finditer(t):
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if m.group(4) is not None:
            dt = _to_utc(y, mo, d, m.group(4), m.group(5), m.group(6) or 0, tz=tz, offset=m.group(7))
        else:
            tm = _find_time(t, m.start(), m.end())
            dt = _to_utc(y, mo, d, *(tm or (0, 0, 0)), tz=tz)
        if dt:
            out.append((m.start(), dt))
    for m in _DMY_NAME_RE.finditer(t):
        mo = _month_num(m.group(2), _G_MONTH_BY_FOLD)
        tm = _find_time(t, m.start(), m.end())
        dt = _to_utc(m.group(3), mo, m.group(1), *(tm or (0, 0, 0)), tz=tz) if mo else None
        if dt:
            out.append((m.start(), dt))
    for m in _MDY_NAME_RE.finditer(t):
        mo = _month_num(m.group(1), _G_MONTH_BY_FOLD)
        tm = _find_time(t, m.start(), m.end())
        dt = _to_utc(m.group(3), mo, m.group(2), *(tm or (0, 0, 0)), tz=tz) if mo else None
        if dt:
            out.append((m.start(), dt))
    for m in _YMD_RE.finditer(t):
        tm = _find_time(t, m.start(), m.end())
        dt = _to_utc(m.group(1), m.group(2), m.group(3), *(tm or (0, 0, 0)), tz=tz)
        if dt:
            out.append((m.start(), dt))
    for m in _DMY_RE.finditer(t):
        a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
        d, mo = (a, b) if b <= 12 else (b, a)  # day first, as printed in the Arab world
        tm = _find_time(t, m.start(), m.end())
        dt = _to_utc(y, mo, d, *(tm or (0, 0, 0)), tz=tz)
        if dt:
            out.append((m.start(), dt))
    return out


def _hijri_candidates(t: str, tz):
    out = []
    for m in _HIJRI_RE.finditer(t):
        y = int(m.group(3))
        mo = _month_num(m.group(2), _H_MONTH_BY_FOLD)
        if not mo or not (1300 <= y <= 1500):
            continue
        try:
            from hijridate import Hijri

            g = Hijri(y, mo, int(m.group(1))).to_gregorian()
        except Exception:  # out of the supported range or invalid day
            continue
        tm = _find_time(t, m.start(), m.end())
        dt = _to_utc(g.year, g.month, g.day, *(tm or (0, 0, 0)), tz=tz)
        if dt:
            out.append((m.start(), dt))
    return out


def _relative(t: str, tz, now: datetime, *, short: bool) -> datetime | None:
    if len(t) > 120:  # relative expressions are date lines, not prose ("أعلن قبل يومين أن …")
        return None
    m = _REL_RE.search(t)
    if m and m.group(2):
        unit = m.group(2)
        n_raw = m.group(1)
        if n_raw is None:
            n = 2 if unit in _DUALS else 1
            per = _UNIT_SECONDS[unit] // (2 if unit in _DUALS else 1)
        else:
            n = int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS.get(n_raw, 1)
            per = _UNIT_SECONDS[unit] // (2 if unit in _DUALS else 1)
        return (now - timedelta(seconds=n * per)).astimezone(UTC)
    m = _REL_EN_RE.search(t)
    if m:
        mult = {"minute": 60, "min": 60, "hour": 3600, "day": 86400, "week": 604800}[m.group(2).lower()]
        return (now - timedelta(seconds=int(m.group(1)) * mult)).astimezone(UTC)
    if not short:
        return None
    # "أمس 10:30 م", "اليوم 09:15" — only in short date-like strings (these words are common in prose)
    local_now = now.astimezone(get_zone(tz))
    day = None
    if _YESTERDAY_RE.search(t):
        day = local_now.date() - timedelta(days=1)
    elif _TODAY_RE.search(t):
        day = local_now.date()
    elif _NOW_RE.search(t):
        return now.astimezone(UTC)
    if day is None:
        return None
    tm = _find_time(t, 0, 0)
    return _to_utc(day.year, day.month, day.day, *(tm or (0, 0, 0)), tz=tz)


def parse_arabic_date(text: str, *, timezone: str = "UTC", now: datetime | None = None) -> datetime | None:
    """The first date expressed in ``text`` (an Arabic date line, an ISO string, …) as an aware UTC
    datetime, or None. Gregorian dates win over Hijri dates in the same text; relative expressions
    (منذ ساعتين) are used only when no absolute date is present. Naive times are local to
    ``timezone``; a date without a time is midnight local time."""
    if not text:
        return None
    t = _fold(text[:2000])
    if not any(c.isdigit() for c in t):
        if len(t) > 60:
            return None
        # only "أمس" / "اليوم" / "الآن" / "منذ ساعة" can be digit-free
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cands = _gregorian_candidates(t, timezone)
    if cands:
        return min(cands, key=lambda c: c[0])[1]
    cands = _hijri_candidates(t, timezone)
    if cands:
        return min(cands, key=lambda c: c[0])[1]
    return _relative(t, timezone, now, short=len(t) <= 60)


def parse_structured_date(value: str | None, *, timezone: str = "UTC") -> datetime | None:
    """A machine-readable date from JSON-LD or a meta tag: ISO 8601 (with or without offset, "Z"),
    RFC 2822, a Unix timestamp, else whatever ``parse_arabic_date`` understands."""
    if not value:
        return None
    v = str(value).strip()
    if not v:
        return None
    m = _ISO_RE.match(v)
    if m:
        if m.group(4) is not None:
            return _to_utc(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6) or 0,
                           tz=timezone, offset=m.group(7))
        return _to_utc(m.group(1), m.group(2), m.group(3), tz=timezone)
    if re.fullmatch(r"\d{10}(?:\.\d+)?|\d{13}", v):
        ts = float(v) / (1000 if len(v) == 13 else 1)
        try:
            dt = datetime.fromtimestamp(ts, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return dt if dt.year >= MIN_YEAR else None
    if re.match(r"^[A-Za-z]{3},?\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", v):
        try:
            dt = parsedate_to_datetime(v)
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=get_zone(timezone))
            return dt.astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return parse_arabic_date(v, timezone=timezone)


# URL dates: /2020/08/24/, /2020/8/24/, /2020-06-03-1.387, /20200824/
_URL_YMD_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-](\d{1,2})[/_-](\d{1,2})(?!\d)")
_URL_COMPACT_RE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|[-_]|\.html?|$)")
_URL_YM_RE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(?!\d)")


def date_from_url(url: str | None, *, timezone: str = "UTC") -> datetime | None:
    """A publication day encoded in the URL path (midnight local time), or None."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    path = re.sub(r"^[a-z]+://[^/]+", "", path, flags=re.IGNORECASE)
    for rx in (_URL_YMD_RE, _URL_COMPACT_RE):
        m = rx.search(path)
        if m:
            dt = _to_utc(m.group(1), m.group(2), m.group(3), tz=timezone)
            if dt:
                return dt
    return None


def is_plausible(dt: datetime | None, *, fetched_at: datetime | None = None, now: datetime | None = None) -> bool:
    """Not in the future beyond FUTURE_SKEW (relative to fetched_at, else now) and not before MIN_YEAR."""
    if dt is None:
        return False
    ref = fetched_at or now or datetime.now(UTC)
    if ref.tzinfo is None:
        ref = ref.replace(tzinfo=UTC)
    return dt.year >= MIN_YEAR and dt <= ref + FUTURE_SKEW


def local_date(dt: datetime, timezone: str = "UTC") -> date:
    """The calendar day of an aware datetime in ``timezone``."""
    return dt.astimezone(get_zone(timezone)).date()
