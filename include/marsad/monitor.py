"""The "Media monitor": per-outlet crawl health and volume, per-topic volume, read from the lake with DuckDB.

:func:`monitor_data` returns a JSON-ready dict; :func:`render_monitor_html` turns it into one self-contained
HTML page (inline CSS and SVG, no scripts, no external resources, right-to-left friendly). The Airflow plugin
``plugins/marsad_monitor.py`` serves both; this module knows nothing of Airflow.

**The time window.** Articles per hour cover the ``hours`` (48) hours that end at ``window_end``:

- ``now`` given: ``window_end`` is ``now`` rounded *up* to the hour (the current, incomplete hour is included);
- ``now`` omitted: ``window_end`` is the end of the latest interval in the lake (``max(interval_start) + 1 h``
  of ``fetch_log`` and ``articles``), so the page describes the latest data whatever the wall clock says
  (a lake built from the mirror's fixed 2026-02-12 clock, a lake copied from production). The page states the
  window and how long ago the last successful crawl was, so staleness stays visible.

Hours are *interval* hours (``interval_start``: the hour whose crawl first captured the article), not
publication times. Per-outlet failure classes and the quarantine rate use the same window; articles per topic and
day use the ``days`` (14) UTC dates that end with ``window_end``'s date (the lake's ``date`` partition).

**Per outlet**: status, last success and consecutive failing intervals from :mod:`marsad.crawl.health`
(fetch log of the last 14 days before ``window_end``), the interval of the last successful discovery request,
articles per hour, failed fetch attempts by ``failure_class`` (retries count once per attempt), and
``quarantine_rate = quarantined / (accepted + quarantined)`` with the top reason codes. Outlets enabled in the
outlets config but absent from the lake are listed with status ``unknown``.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from marsad.config import lake_root

log = logging.getLogger(__name__)

HOURS = 48
DAYS = 14
HOUR = timedelta(hours=1)


# ---------------------------------------------------------------------------------------------- data
def _utc(v) -> datetime | None:
    if v is None:
        return None
    if hasattr(v, "to_pydatetime"):
        v = v.to_pydatetime()
    return v.astimezone(timezone.utc) if v.tzinfo else v.replace(tzinfo=timezone.utc)


def _iso(v: datetime | None) -> str | None:
    return v.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if v else None


def _ceil_hour(t: datetime) -> datetime:
    t = _utc(t)
    floor = t.replace(minute=0, second=0, microsecond=0)
    return floor if floor == t else floor + HOUR


def _latest_dates(root: Path, tables=("fetch_log", "articles")) -> list[date]:
    """The newest `date=` partitions (cheap: directory names only)."""
    days = set()
    for t in tables:
        d = root / t
        if d.is_dir():
            for p in d.glob("date=*"):
                try:
                    days.add(date.fromisoformat(p.name.removeprefix("date=")))
                except ValueError:
                    continue
    return sorted(days)[-2:]


def latest_interval_end(con, root: Path, have: set[str]) -> datetime | None:
    """End of the newest interval present in the lake (reads only the newest date partitions)."""
    days = _latest_dates(root)
    if not days:
        return None
    best = None
    for t in ("fetch_log", "articles"):
        if t in have:
            v = con.execute(f"SELECT max(interval_start) FROM {t} WHERE date >= ?", [days[0]]).fetchone()[0]
            if v is not None and (best is None or _utc(v) > best):
                best = _utc(v)
    return best + HOUR if best else None


def _outlet_names(config_path: Path | str | None) -> tuple[dict[str, str], list[str]]:
    """({id: display name}, [enabled ids]) from the outlets config; empty when it cannot be read."""
    try:
        from marsad.config import load_outlets

        cfg = load_outlets(config_path)
    except Exception as exc:  # noqa: BLE001 - the page still works from the lake alone
        log.warning("media monitor: outlets config not readable (%s); showing outlet ids", exc)
        return {}, []
    return {o.id: o.name for o in cfg.outlets}, [o.id for o in cfg.outlets if o.enabled]


def _topic_labels(topics_path: Path | str | None) -> dict[str, str]:
    try:
        from marsad.config import read_yaml, topics_path as default_topics

        data = read_yaml(topics_path or default_topics())
        return {t["name"]: t.get("label") or t["name"] for t in (data or {}).get("topics", []) if "name" in t}
    except Exception as exc:  # noqa: BLE001
        log.warning("media monitor: topics file not readable (%s); showing topic names", exc)
        return {}


def monitor_data(lake: str | Path | None = None, now: datetime | None = None, *, hours: int = HOURS,
                 days: int = DAYS, config_path: Path | str | None = None, topics_path: Path | str | None = None,
                 include_configured: bool = True) -> dict:
    """Everything the Media monitor page shows, as a JSON-ready dict (timestamps as ISO 8601 UTC strings)."""
    from marsad.crawl.health import all_outlet_health
    from marsad.lake.query import connect, views

    root = lake_root(lake)
    generated = datetime.now(timezone.utc).replace(microsecond=0)
    con = connect(root) if root.is_dir() else None
    have = views(con) if con is not None else set()
    if now is not None:
        end, basis = _ceil_hour(now), "now"
    else:
        end = latest_interval_end(con, root, have) if con is not None else None
        basis = "latest_data"
        if end is None:
            end, basis = _ceil_hour(generated), "now"  # an empty lake: nothing to anchor on
    start = end - hours * HOUR
    last_day = (end - timedelta(microseconds=1)).date()
    first_day = last_day - timedelta(days=days - 1)
    hour_slots = [start + i * HOUR for i in range(hours)]
    names, enabled = _outlet_names(config_path) if include_configured or config_path else ({}, [])
    labels = _topic_labels(topics_path)

    def q(sql: str, params: list) -> list[tuple]:
        return con.execute(sql, params).fetchall()

    w = [start.date(), last_day, start, end]  # partition pruning on `date`, then the exact window
    win = "date BETWEEN ? AND ? AND interval_start >= ? AND interval_start < ?"
    per_hour: dict[str, dict[datetime, int]] = {}
    totals: dict[str, int] = {}
    if "articles" in have:
        for outlet, t, n in q(f"SELECT outlet, interval_start, count(*) FROM articles WHERE {win} GROUP BY ALL", w):
            per_hour.setdefault(outlet, {})[_utc(t)] = n
        totals = {o: n for o, n in q("SELECT outlet, count(*) FROM articles GROUP BY 1", [])}
    failures: dict[str, dict[str, int]] = {}
    attempts: dict[str, int] = {}
    last_ok_interval: dict[str, datetime] = {}
    if "fetch_log" in have:
        for outlet, fc, n in q(f"SELECT outlet, failure_class, count(*) FROM fetch_log WHERE {win} "
                               "AND failure_class IS NOT NULL GROUP BY ALL ORDER BY 3 DESC, 2", w):
            failures.setdefault(outlet, {})[fc] = n
        attempts = {o: n for o, n in q(f"SELECT outlet, count(*) FROM fetch_log WHERE {win} GROUP BY 1", w)}
        for outlet, t in q("SELECT outlet, max(interval_start) FROM fetch_log WHERE failure_class IS NULL "
                           "AND kind IN ('feed', 'sitemap', 'listing') AND (status BETWEEN 200 AND 299 OR status = 304) "
                           "AND date <= ? AND interval_start < ? GROUP BY 1", [last_day, end]):
            last_ok_interval[outlet] = _utc(t)
    quarantined: dict[str, int] = {}
    reasons: dict[str, dict[str, int]] = {}
    if "quarantine" in have:
        quarantined = {o: n for o, n in q(f"SELECT outlet, count(*) FROM quarantine WHERE {win} GROUP BY 1", w)}
        for outlet, reason, n in q(f"SELECT outlet, reason_code, count(*) FROM quarantine_reasons WHERE {win} "
                                   "GROUP BY ALL ORDER BY 3 DESC, 2", w):
            reasons.setdefault(outlet, {})[reason] = n
    topic_days: dict[str, dict[date, int]] = {}
    if "article_topics" in have:
        for topic, d, n in q("SELECT topic, date, count(*) FROM article_topics WHERE date BETWEEN ? AND ? "
                             "GROUP BY ALL", [first_day, last_day]):
            topic_days.setdefault(topic, {})[d] = n

    health = all_outlet_health(root, now=end) if root.is_dir() else {}
    outlet_ids = sorted(set(per_hour) | set(failures) | set(attempts) | set(quarantined) | set(health)
                        | set(totals) | (set(enabled) if include_configured else set()))
    outlets = []
    for oid in outlet_ids:
        h = health.get(oid)
        counts = [per_hour.get(oid, {}).get(t, 0) for t in hour_slots]
        accepted = sum(counts)
        q_n = quarantined.get(oid, 0)
        outlets.append({
            "outlet": oid,
            "name": names.get(oid, oid),
            "status": h.status if h else "unknown",
            "last_success": _iso(h.last_success) if h else None,
            "last_success_interval": _iso(last_ok_interval.get(oid)),
            "last_attempt": _iso(h.last_attempt) if h else None,
            "consecutive_failing_intervals": h.consecutive_failures if h else 0,
            "last_failure_class": h.last_failure_class if h else None,
            "articles_window": accepted,
            "articles_total": totals.get(oid, 0),
            "articles_per_hour": [{"hour": _iso(t), "n": n} for t, n in zip(hour_slots, counts)],
            "peak_per_hour": max(counts) if counts else 0,
            "fetch_attempts": attempts.get(oid, 0),
            "failure_classes": failures.get(oid, {}),
            "failed_attempts": sum(failures.get(oid, {}).values()),
            "quarantined": q_n,
            "quarantine_rate": round(q_n / (accepted + q_n), 4) if accepted + q_n else None,
            "quarantine_reasons": reasons.get(oid, {}),
        })
    day_slots = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    topics = []
    for topic in sorted(set(topic_days) | set(labels)):
        per_day = [topic_days.get(topic, {}).get(d, 0) for d in day_slots]
        topics.append({"topic": topic, "label": labels.get(topic, topic), "total": sum(per_day),
                       "articles_per_day": [{"date": d.isoformat(), "n": n} for d, n in zip(day_slots, per_day)]})
    topics.sort(key=lambda t: (-t["total"], t["topic"]))
    return {
        "lake": str(root),
        "generated_at": _iso(generated),
        "window": {"start": _iso(start), "end": _iso(end), "hours": hours, "basis": basis,
                   "first_day": first_day.isoformat(), "last_day": last_day.isoformat(), "days": len(day_slots)},
        "totals": {"articles_window": sum(o["articles_window"] for o in outlets),
                   "quarantined_window": sum(o["quarantined"] for o in outlets),
                   "failed_attempts_window": sum(o["failed_attempts"] for o in outlets),
                   "outlets": len(outlets)},
        "outlets": outlets,
        "topics": topics,
    }


# ---------------------------------------------------------------------------------------------- HTML
_STATUS_COLORS = {"ok": "#1b7f3b", "degraded": "#b26a00", "failing": "#b3261e", "unknown": "#6b7280"}

_CSS = """
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bar:#2563eb; --bg:#ffffff; --soft:#f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 24px; font: 14px/1.45 "DejaVu Sans", "Noto Sans Arabic", "Segoe UI", Tahoma,
       Arial, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 26px 0 8px; }
.meta { color: var(--muted); margin: 0 0 14px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; background: var(--soft); min-width: 150px; }
.card .v { font-size: 22px; font-weight: bold; } .card .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: start; vertical-align: middle; }
th { font-size: 12px; color: var(--muted); font-weight: normal; background: var(--soft); }
td.num, th.num { text-align: end; font-variant-numeric: tabular-nums; white-space: nowrap; }
.name { font-weight: bold; } .id { color: var(--muted); font-size: 12px; direction: ltr; unicode-bidi: isolate; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; }
.chips span { display: inline-block; margin: 1px 2px; padding: 0 6px; border-radius: 4px; background: #fee2e2;
              font-size: 12px; white-space: nowrap; direction: ltr; unicode-bidi: isolate; }
.chips .none { background: transparent; color: var(--muted); }
time, .ts { direction: ltr; unicode-bidi: isolate; white-space: nowrap; font-size: 12px; }
svg { display: block; } .spark rect { fill: var(--bar); } .spark rect.zero { fill: var(--line); }
.axis { font-size: 10px; fill: var(--muted); }
.muted { color: var(--muted); font-size: 12px; }
.topicbar { height: 12px; background: var(--bar); border-radius: 2px; display: inline-block; vertical-align: middle; }
"""


def _e(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _fmt_ts(iso: str | None) -> str:
    if not iso:
        return '<span class="muted">never</span>'
    t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return f'<time datetime="{_e(iso)}">{t:%Y-%m-%d %H:%M} UTC</time>'


def _ago(iso: str | None, ref: datetime) -> str:
    if not iso:
        return ""
    secs = (ref - datetime.fromisoformat(iso.replace("Z", "+00:00"))).total_seconds()
    if secs < 0:
        return ""
    if secs < 3600:
        s = f"{int(secs // 60)} min ago"
    elif secs < 48 * 3600:
        s = f"{secs / 3600:.1f} h ago"
    else:
        s = f"{secs / 86400:.1f} days ago"
    return f'<div class="muted ts">{s}</div>'


def _sparkline(points: list[dict], width: int = 336, height: int = 44) -> str:
    """Bars of articles per hour, oldest at the left (time runs left to right even in an RTL page)."""
    n = len(points) or 1
    peak = max((p["n"] for p in points), default=0) or 1
    bw = width / n
    bars = []
    for i, p in enumerate(points):
        h = max(2.0, (height - 12) * p["n"] / peak) if p["n"] else 2.0
        zero = ' class="zero"' if not p["n"] else ""
        label = f'{p["hour"][:13].replace("T", " ")}:00 UTC: {p["n"]}'
        bars.append(f'<rect x="{i * bw + 0.5:.1f}" y="{height - 12 - h:.1f}" width="{max(bw - 1, 1):.1f}" '
                    f'height="{h:.1f}"{zero} data-hour="{_e(p["hour"])}" '
                    f'data-n="{p["n"]}"><title>{_e(label)}</title></rect>')
    first = points[0]["hour"][5:13].replace("T", " ") + "h" if points else ""
    last = points[-1]["hour"][5:13].replace("T", " ") + "h" if points else ""
    return (f'<svg class="spark" dir="ltr" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="articles per hour">{"".join(bars)}'
            f'<text class="axis" x="0" y="{height - 1}">{_e(first)}</text>'
            f'<text class="axis" x="{width}" y="{height - 1}" text-anchor="end">{_e(last)}</text></svg>')


def _chips(counts: dict[str, int], cls: str = "") -> str:
    if not counts:
        return '<div class="chips"><span class="none">none</span></div>'
    return '<div class="chips">' + "".join(
        f'<span class="{cls}" data-class="{_e(k)}">{_e(k)} × {v}</span>' for k, v in counts.items()) + "</div>"


def render_monitor_html(data: dict, *, title: str = "Media monitor — مرصد") -> str:
    """One self-contained HTML page (inline CSS and SVG; no scripts, fonts or images from elsewhere)."""
    win = data["window"]
    ref = datetime.fromisoformat(data["generated_at"].replace("Z", "+00:00"))
    tot = data["totals"]
    basis = ("ends at the latest interval in the lake" if win["basis"] == "latest_data" else "ends now")
    rows = []
    for o in data["outlets"]:
        color = _STATUS_COLORS.get(o["status"], "#6b7280")
        rate = o["quarantine_rate"]
        rate_txt = f'{rate * 100:.1f} %' if rate is not None else "–"
        rows.append(
            f'<tr data-outlet="{_e(o["outlet"])}">'
            f'<td><div class="name"><bdi>{_e(o["name"])}</bdi></div><div class="id">{_e(o["outlet"])}</div></td>'
            f'<td><span class="badge" style="background:{color}">{_e(o["status"])}</span>'
            + (f'<div class="muted">{o["consecutive_failing_intervals"]} failing interval(s)</div>'
               if o["consecutive_failing_intervals"] else "") + "</td>"
            f'<td>{_fmt_ts(o["last_success"])}{_ago(o["last_success"], ref)}'
            + (f'<div class="muted ts">interval {_e(o["last_success_interval"][:13].replace("T", " "))}h</div>'
               if o["last_success_interval"] else "") + "</td>"
            f'<td class="num"><span class="articles-window" data-n="{o["articles_window"]}">{o["articles_window"]}</span>'
            f'<div class="muted">peak {o["peak_per_hour"]}/h · total {o["articles_total"]}</div></td>'
            f'<td>{_sparkline(o["articles_per_hour"])}</td>'
            f'<td>{_chips(o["failure_classes"])}<div class="muted">{o["failed_attempts"]} of {o["fetch_attempts"]} '
            f'attempts failed</div></td>'
            f'<td class="num"><span class="quarantine-rate">{rate_txt}</span>'
            f'<div class="muted">{o["quarantined"]} of {o["quarantined"] + o["articles_window"]} rows</div>'
            + (_chips(o["quarantine_reasons"]) if o["quarantine_reasons"] else "") + "</td></tr>")
    if not rows:
        rows.append('<tr><td colspan="7" class="muted">No outlets: the lake has no fetch log or articles yet.</td></tr>')

    days = [d["date"] for d in (data["topics"][0]["articles_per_day"] if data["topics"] else [])]
    shown_days = [d for d in days if any(next(x["n"] for x in t["articles_per_day"] if x["date"] == d)
                                         for t in data["topics"])] or days[-3:]
    peak_topic = max((t["total"] for t in data["topics"]), default=0) or 1
    trows = []
    for t in data["topics"]:
        per = {x["date"]: x["n"] for x in t["articles_per_day"]}
        cells = "".join(f'<td class="num" data-date="{_e(d)}">{per.get(d, 0)}</td>' for d in shown_days)
        trows.append(f'<tr data-topic="{_e(t["topic"])}"><td><div class="name"><bdi>{_e(t["label"])}</bdi></div>'
                     f'<div class="id">{_e(t["topic"])}</div></td>{cells}'
                     f'<td class="num"><span class="topic-total">{t["total"]}</span></td>'
                     f'<td><span class="topicbar" style="width:{max(2, int(220 * t["total"] / peak_topic))}px">'
                     f'</span></td></tr>')
    if not trows:
        trows.append('<tr><td class="muted">No tagged articles in the window.</td></tr>')
    day_heads = "".join(f'<th class="num"><span class="ts">{_e(d)}</span></th>' for d in shown_days)
    hidden = len(days) - len(shown_days)
    return f"""<!doctype html>
<html lang="en" dir="auto"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<h1>Media monitor <span dir="rtl" lang="ar">مرصد</span></h1>
<p class="meta">Lake <code>{_e(data["lake"])}</code> · window <span class="ts" id="window-start">{_e(win["start"])}</span>
→ <span class="ts" id="window-end">{_e(win["end"])}</span> ({win["hours"]} h, {_e(basis)}) ·
generated <span class="ts">{_e(data["generated_at"])}</span></p>
<div class="cards">
 <div class="card"><div class="v" id="total-articles">{tot["articles_window"]}</div><div class="k">articles in {win["hours"]} h</div></div>
 <div class="card"><div class="v" id="total-outlets">{tot["outlets"]}</div><div class="k">outlets</div></div>
 <div class="card"><div class="v" id="total-quarantined">{tot["quarantined_window"]}</div><div class="k">quarantined rows</div></div>
 <div class="card"><div class="v" id="total-failed">{tot["failed_attempts_window"]}</div><div class="k">failed fetch attempts</div></div>
</div>
<h2>Outlets</h2>
<table id="outlets">
<thead><tr><th>Outlet</th><th>Status</th><th>Last successful crawl</th><th class="num">Articles ({win["hours"]} h)</th>
<th>Articles per hour (interval hours, UTC; oldest left)</th><th>Failure classes ({win["hours"]} h)</th>
<th class="num">Quarantine rate</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<h2>Topics: articles per day</h2>
<p class="muted">UTC dates {_e(win["first_day"])} … {_e(win["last_day"])}{f"; {hidden} day(s) without tagged articles not shown" if hidden else ""}.
An article with several topics counts once for each.</p>
<table id="topics">
<thead><tr><th>Topic</th>{day_heads}<th class="num">Total</th><th></th></tr></thead>
<tbody>
{chr(10).join(trows)}
</tbody></table>
<p class="muted">Status, last success and failing intervals: marsad.crawl.health (fetch log).
Quarantine rate = quarantined / (accepted + quarantined) rows in the window. Data: <a href="data.json">data.json</a>.</p>
</body></html>
"""
