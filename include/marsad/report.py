"""The daily HTML report: one self-contained page per UTC day, written into the lake.

``build_daily_report(day)`` reads the lake through the DuckDB views (:func:`marsad.lake.query.connect`)
and writes ``<lake>/reports/date=YYYY-MM-DD/report.html`` atomically (hidden temporary name, then
rename; a re-run replaces the day's report). The page has no scripts and loads nothing: inline CSS,
inline SVG charts drawn here, and a Content-Security-Policy that forbids any external resource. Every
string from the lake (titles come from the web) is HTML-escaped.

Sections (Arabic headings, English subtitles; ``<html lang="ar" dir="rtl">``):

1. headline numbers of the day: articles, outlets, quarantined rows and the quarantine rate
   (quarantined / (accepted + quarantined)), fetch attempts and failures, clusters;
2. articles per topic per day over the last ``days_back`` days (grouped bars + a table);
3. articles per outlet on the day, stacked by each article's strongest topic (+ a table of all tags);
4. the day's largest near-duplicate clusters across outlets (table ``clusters`` of marsad_daily);
5. outlets with problems: health status at the end of the day (:mod:`marsad.crawl.health`), fetch
   failures by failure class, quarantined rows by reason code, rejected outlet-hours, run warnings;
6. the rules_version / pipeline_version of the day's rows.

An empty day gives a report that says so. Charts run right-to-left like the page: the newest day is
on the left, outlet bars grow from their names on the right.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from marsad.config import lake_root
from marsad.lake.storage import is_remote, put_bytes

log = logging.getLogger(__name__)

REPORTS_DIR = "reports"
TOP_CLUSTERS = 10
NO_TOPIC = ""  # key of the "no topic" segment
PALETTE = ("#1f6fb4", "#c0392b", "#2e8b57", "#8e44ad", "#d4870f", "#16a2b8", "#8c564b", "#d35c9e",
           "#7f8c1f", "#34495e")
NO_TOPIC_COLOR = "#c3c7cc"
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def report_path(lake: str | Path | None, day: date) -> Path:
    return lake_root(lake) / REPORTS_DIR / f"date={day:%Y-%m-%d}" / "report.html"


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Problem:
    outlet: str
    status: str = "unknown"  # health status at the end of the day
    health: str = ""
    fetch_failures: dict[str, int] = field(default_factory=dict)  # failure_class -> attempts
    failure_examples: list[str] = field(default_factory=list)
    quarantine: dict[str, int] = field(default_factory=dict)  # reason_code -> rows
    rejected: list[str] = field(default_factory=list)  # "<interval>: message"
    warnings: list[str] = field(default_factory=list)
    no_crawl: bool = False  # crawled earlier in the window, not on the day

    @property
    def severity(self) -> int:
        if self.rejected:
            return 0
        return {"failing": 1, "degraded": 2}.get(self.status, 3 if self.no_crawl else 4)


@dataclass
class ReportData:
    day: date
    days: list[date]
    lake: Path
    generated_at: datetime
    outlet_names: dict[str, str]
    topic_labels: dict[str, str]
    topics: list[str]  # every topic seen in the window, taxonomy order first
    articles: int = 0
    articles_per_day: dict[date, int] = field(default_factory=dict)
    topic_day: dict[tuple[str, date], int] = field(default_factory=dict)
    outlet_articles: dict[str, int] = field(default_factory=dict)
    outlet_topic: dict[tuple[str, str], int] = field(default_factory=dict)  # all tags
    outlet_primary: dict[tuple[str, str], int] = field(default_factory=dict)  # strongest topic ("" = none)
    outlet_untagged: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    outlet_quarantined: dict[str, int] = field(default_factory=dict)
    fetch_attempts: int = 0
    fetch_failures: int = 0
    outlet_fetch: dict[str, tuple[int, int]] = field(default_factory=dict)  # attempts, failures
    outlets_crawled: list[str] = field(default_factory=list)
    clusters: list[dict] = field(default_factory=list)
    n_clusters: int = 0
    clustered_articles: int = 0
    cluster_method: str | None = None
    problems: list[Problem] = field(default_factory=list)
    versions: list[tuple[str, str, int, int]] = field(default_factory=list)  # rules, pipeline, articles, quarantined

    @property
    def quarantine_rate(self) -> float | None:
        total = self.articles + self.quarantined
        return self.quarantined / total if total else None

    @property
    def empty(self) -> bool:
        return not (self.articles or self.quarantined or self.fetch_attempts)


def _outlet_names(config_path) -> dict[str, str]:
    try:
        from marsad.config import outlets_cached

        return {o.id: o.name for o in outlets_cached(config_path).outlets}
    except (OSError, ValueError) as exc:  # names are decoration: a broken config must not stop the report
        log.warning("report: outlet names unavailable (%s)", exc)
        return {}


def _topic_labels(topics_file) -> tuple[dict[str, str], list[str]]:
    try:
        from marsad.config import topics_path
        from marsad.tag.rules import load_rules

        rules = load_rules(topics_file or topics_path())
        return {t.name: (t.label or t.name) for t in rules.topics}, [t.name for t in rules.topics]
    except (OSError, ValueError) as exc:  # labels too
        log.warning("report: topic labels unavailable (%s)", exc)
        return {}, []


def _health(root: Path, day: date, days_back: int) -> dict:
    """Outlet health as it stood at the end of ``day`` (fetch log of the window, later days ignored)."""
    from marsad.crawl import health

    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    rows = [r for r in health._read_rows(root, None, day - timedelta(days=days_back - 1))
            if (health._aware(r["interval_start"]) or end) < end]
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        grouped[r["outlet"]].append(r)
    return {oid: health.health_from_rows(oid, rs) for oid, rs in sorted(grouped.items())}


def _manifests(root: Path, day: date) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(rejected outlet-hours, run warnings) per outlet from the day's run manifests."""
    rejected: dict[str, list[str]] = defaultdict(list)
    warnings: dict[str, list[str]] = defaultdict(list)
    runs = root / "runs" / f"date={day:%Y-%m-%d}"
    if not runs.is_dir():
        return rejected, warnings
    for p in sorted(runs.glob("*.json")):
        if p.name.startswith("."):
            continue
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict):
            continue
        stem = p.name.removesuffix(".json").removesuffix(".rejected")
        iid, _, oid = stem.partition("-")
        oid = str(doc.get("outlet") or oid)
        if not oid:
            continue
        if p.name.endswith(".rejected.json"):
            rejected[oid].append(f"{iid}: {doc.get('message') or 'critical batch check failed'}")
        for w in doc.get("warnings") or []:
            warnings[oid].append(f"{iid}: {w if isinstance(w, str) else json.dumps(w, ensure_ascii=False)}")
    return rejected, warnings


def collect(day: date, lake: str | Path | None = None, days_back: int = 14, *, config_path=None,
            topics_file=None, now: datetime | None = None) -> ReportData:
    """Everything the report shows, read from the lake (DuckDB views)."""
    from marsad.lake.query import connect, views

    if days_back < 1:
        raise ValueError("days_back must be at least 1")
    root = lake_root(lake)
    first = day - timedelta(days=days_back - 1)
    labels, taxonomy = _topic_labels(topics_file)
    data = ReportData(day=day, days=[first + timedelta(days=i) for i in range(days_back)], lake=root,
                      generated_at=now or datetime.now(UTC), outlet_names=_outlet_names(config_path),
                      topic_labels=labels, topics=[])
    con = connect(root)
    have = views(con)
    seen_topics: Counter = Counter()

    if "articles" in have:
        for d, n in con.execute("SELECT date, count(*) FROM articles WHERE date BETWEEN ? AND ? GROUP BY 1",
                                [first, day]).fetchall():
            data.articles_per_day[d] = n
        for d, topic, n in con.execute("SELECT date, topic, count(*) FROM article_topics WHERE date BETWEEN ? AND ? "
                                       "GROUP BY 1, 2", [first, day]).fetchall():
            data.topic_day[(topic, d)] = n
            seen_topics[topic] += n
        data.articles = data.articles_per_day.get(day, 0)
        for outlet, n, untagged in con.execute(
                "SELECT outlet, count(*), count(*) FILTER (WHERE topics IS NULL OR len(topics) = 0) "
                "FROM articles WHERE date = ? GROUP BY 1", [day]).fetchall():
            data.outlet_articles[outlet] = n
            data.outlet_untagged[outlet] = untagged
        hits: dict[tuple[str, str], list[tuple[float, int, str]]] = defaultdict(list)
        order = {t: i for i, t in enumerate(taxonomy)}
        for aid, outlet, topic, score in con.execute(
                "SELECT article_id, outlet, topic, score FROM article_topics WHERE date = ?", [day]).fetchall():
            data.outlet_topic[(outlet, topic)] = data.outlet_topic.get((outlet, topic), 0) + 1
            hits[(outlet, aid)].append((-(score or 0.0), order.get(topic, len(order)), topic))
        # strongest topic of each article; ties go to the topic first in the taxonomy, then by name
        best = {key: min(h) for key, h in hits.items()}
        for (outlet, _aid), (_s, _i, topic) in best.items():
            data.outlet_primary[(outlet, topic)] = data.outlet_primary.get((outlet, topic), 0) + 1
        for outlet, untagged in data.outlet_untagged.items():
            if untagged:
                data.outlet_primary[(outlet, NO_TOPIC)] = untagged
        versions = {(r, p): [n, 0] for r, p, n in con.execute(
            "SELECT coalesce(rules_version, '?'), coalesce(pipeline_version, '?'), count(*) FROM articles "
            "WHERE date = ? GROUP BY 1, 2", [day]).fetchall()}
    else:
        versions = {}
    data.topics = [t for t in taxonomy if t in seen_topics] + sorted(t for t in seen_topics if t not in taxonomy)

    if "quarantine" in have:
        for outlet, n in con.execute("SELECT outlet, count(*) FROM quarantine WHERE date = ? GROUP BY 1", [day]).fetchall():
            data.outlet_quarantined[outlet] = n
        data.quarantined = sum(data.outlet_quarantined.values())
        for r, p, n in con.execute("SELECT coalesce(rules_version, '?'), coalesce(pipeline_version, '?'), count(*) "
                                   "FROM quarantine WHERE date = ? GROUP BY 1, 2", [day]).fetchall():
            versions.setdefault((r, p), [0, 0])[1] += n
    data.versions = sorted(((r, p, a, q) for (r, p), (a, q) in versions.items()), key=lambda v: (-v[2] - v[3], v[0], v[1]))

    problems: dict[str, Problem] = {}

    def problem(oid: str) -> Problem:
        return problems.setdefault(oid, Problem(oid))

    if "quarantine_reasons" in have:
        for outlet, reason, n in con.execute("SELECT outlet, coalesce(reason_code, '?'), count(*) FROM quarantine_reasons "
                                             "WHERE date = ? GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2", [day]).fetchall():
            problem(outlet).quarantine[reason] = n

    window_outlets: set[str] = set()
    if "fetch_log" in have:
        for outlet, n, failed in con.execute("SELECT outlet, count(*), count(failure_class) FROM fetch_log "
                                             "WHERE date = ? GROUP BY 1", [day]).fetchall():
            data.outlet_fetch[outlet] = (n, failed)
        data.fetch_attempts = sum(a for a, _ in data.outlet_fetch.values())
        data.fetch_failures = sum(f for _, f in data.outlet_fetch.values())
        data.outlets_crawled = sorted(data.outlet_fetch)
        for outlet, fclass, n, example in con.execute(
                "SELECT outlet, failure_class, count(*), "
                "arg_min(coalesce(kind, '?') || ' ' || coalesce('HTTP ' || status::VARCHAR || ' ', '') || coalesce(url, ''), "
                "fetched_at) FROM fetch_log WHERE date = ? AND failure_class IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
                [day]).fetchall():
            p = problem(outlet)
            p.fetch_failures[fclass] = n
            p.failure_examples.append(f"{fclass}: {example}")
        window_outlets = {r[0] for r in con.execute("SELECT DISTINCT outlet FROM fetch_log WHERE date BETWEEN ? AND ?",
                                                    [first, day]).fetchall()}

    rejected, warnings = _manifests(root, day)
    for oid, msgs in rejected.items():
        problem(oid).rejected = msgs
    for oid, msgs in warnings.items():
        problem(oid).warnings = msgs
    for oid in sorted(window_outlets - set(data.outlet_fetch)):
        problem(oid).no_crawl = True
    for oid, h in _health(root, day, days_back).items():
        if h.status in ("degraded", "failing") or oid in problems:
            p = problem(oid)
            p.status, p.health = h.status, h.summary()
    data.problems = sorted(problems.values(), key=lambda p: (p.severity, -sum(p.fetch_failures.values()),
                                                             -sum(p.quarantine.values()), p.outlet))

    if "clusters" in have:
        rows = con.execute("SELECT cluster_id, article_id, outlet, published_at, title, distance, cluster_size, n_outlets, "
                           "is_first, method_version FROM clusters WHERE date = ? "
                           "ORDER BY cluster_id, is_first DESC, published_at, article_id", [day]).fetchall()
        urls = {}
        if rows and "articles" in have:
            urls = dict(con.execute("SELECT article_id, url FROM articles WHERE date = ?", [day]).fetchall())
        by_cluster: dict[str, dict] = {}
        for cid, aid, outlet, pub, title, dist, size, n_out, is_first, method in rows:
            c = by_cluster.setdefault(cid, {"cluster_id": cid, "size": size, "n_outlets": n_out, "members": []})
            c["members"].append({"article_id": aid, "outlet": outlet, "published_at": pub, "title": title,
                                 "distance": dist, "is_first": bool(is_first), "url": urls.get(aid)})
            data.cluster_method = method
        for c in by_cluster.values():
            c["size"] = c["size"] or len(c["members"])
            c["n_outlets"] = c["n_outlets"] or len({m["outlet"] for m in c["members"]})
            lead = c["members"][0]
            c["title"], c["first_outlet"], c["published_at"] = lead["title"], lead["outlet"], lead["published_at"]
            c["outlets"] = sorted({m["outlet"] for m in c["members"]})
        ordered = sorted(by_cluster.values(), key=lambda c: (-c["size"], -c["n_outlets"],
                                                            c["published_at"] is None, c["published_at"] or datetime.min,
                                                            c["cluster_id"]))
        data.n_clusters = len(ordered)
        data.clustered_articles = sum(len(c["members"]) for c in ordered)
        data.clusters = ordered[:TOP_CLUSTERS]
    con.close()
    return data


# ------------------------------------------------------------------------------------------- helpers


def _e(value) -> str:
    """Escape anything for HTML text and attribute values (control characters dropped)."""
    return html.escape(_CTRL.sub("", "" if value is None else str(value)), quote=True)


def _en(html_text: str) -> str:
    """English text (already HTML) isolated left-to-right inside the RTL page."""
    return f'<span dir="ltr" lang="en">{html_text}</span>'


def _bi(cls: str, ar_html: str, en_html: str, sep: str = " · ") -> str:
    """A paragraph in Arabic then English (both already HTML)."""
    attr = f' class="{cls}"' if cls else ""
    return f'<p{attr}>{ar_html}{sep}{_en(en_html)}</p>'


def _ltr(text) -> str:
    return f'<bdi dir="ltr">{_e(text)}</bdi>'


def _num(n) -> str:
    return f'<bdi class="num">{n:,}</bdi>' if isinstance(n, int) else f'<bdi class="num">{_e(n)}</bdi>'


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _nice_max(v: int) -> tuple[int, int]:
    """(axis max, tick step) for counts up to ``v``."""
    if v <= 0:
        return 1, 1
    raw = v / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)
    step = max(1, int(step))
    return int(math.ceil(v / step) * step), step


def _fmt_time(ts) -> str:
    if ts is None:
        return "–"
    if hasattr(ts, "astimezone") and ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return f"{ts:%H:%M}"


def _safe_href(url) -> str | None:
    if isinstance(url, str) and re.match(r"^https?://[^\s\"'<>]+$", url):
        return url
    return None


# -------------------------------------------------------------------------------------------- charts


def _topic_colors(data: ReportData) -> dict[str, str]:
    colors = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(data.topics)}
    colors[NO_TOPIC] = NO_TOPIC_COLOR
    return colors


def _label(data: ReportData, topic: str) -> str:
    if topic == NO_TOPIC:
        return "بلا موضوع"
    return data.topic_labels.get(topic, topic)


def _legend(data: ReportData, topics: list[str]) -> str:
    colors = _topic_colors(data)
    items = "".join(f'<li><span class="sw" style="background:{colors[t]}"></span>{_e(_label(data, t))}'
                    + (f' <small>{_ltr(t)}</small>' if t else "") + "</li>" for t in topics)
    return f'<ul class="legend">{items}</ul>'


def topics_per_day_svg(data: ReportData, width: int = 920, height: int = 280) -> str:
    """Grouped bars: articles per topic per day; newest day on the left (RTL)."""
    topics = data.topics
    colors = _topic_colors(data)
    m_top, m_bottom, m_left, m_right = 14, 40, 14, 44
    plot_w, plot_h = width - m_left - m_right, height - m_top - m_bottom
    top = max([data.topic_day.get((t, d), 0) for t in topics for d in data.days] + [0])
    ymax, step = _nice_max(top)
    y = lambda v: m_top + plot_h - plot_h * v / ymax
    parts = [(f'<svg class="chart" role="img" aria-labelledby="t-topics-day" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">'),
             '<title id="t-topics-day">Articles per topic per day</title>']
    for v in range(0, ymax + 1, step):
        parts.append(f'<line x1="{m_left}" x2="{width - m_right}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                     f'<text x="{width - m_right + 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="start">{v}</text>')
    slot = plot_w / len(data.days)
    n = max(1, len(topics))
    bar = min(22.0, (slot * 0.8) / n)
    for i, d in enumerate(data.days):
        # RTL: the oldest day sits at the right edge, the newest at the left
        cx = width - m_right - (i + 0.5) * slot
        x0 = cx + n * bar / 2
        cls = "tick day today" if d == data.day else "tick day"
        parts.append(f'<text x="{cx:.1f}" y="{height - m_bottom + 16}" class="{cls}" text-anchor="middle">{d:%m-%d}</text>')
        total = data.articles_per_day.get(d, 0)
        if total:
            parts.append(f'<text x="{cx:.1f}" y="{height - m_bottom + 31}" class="tick sub" text-anchor="middle">{total}</text>')
        for j, t in enumerate(topics):
            v = data.topic_day.get((t, d), 0)
            if not v:
                continue
            x = x0 - (j + 1) * bar
            parts.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{max(bar - 1, 1):.1f}" height="{y(0) - y(v):.1f}" '
                         f'fill="{colors[t]}"><title>{_e(_label(data, t))} ({_e(t)}) {d:%Y-%m-%d}: {v}</title></rect>')
            if bar >= 14:
                parts.append(f'<text x="{x + bar / 2 - 0.5:.1f}" y="{y(v) - 3:.1f}" class="val" text-anchor="middle">{v}</text>')
    parts.append(f'<line x1="{m_left}" x2="{width - m_right}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>')
    parts.append("</svg>")
    return "".join(parts)


def outlets_svg(data: ReportData, width: int = 920) -> str:
    """Horizontal stacked bars: the day's articles per outlet, split by each article's strongest topic.
    Bars grow leftwards from the outlet names on the right (RTL)."""
    colors = _topic_colors(data)
    outlets = sorted(data.outlet_articles, key=lambda o: (-data.outlet_articles[o], o))
    row_h, m_top, m_bottom, label_w, m_left = 30, 10, 26, 190, 46
    height = m_top + m_bottom + row_h * len(outlets)
    plot_w = width - label_w - m_left
    xmax, step = _nice_max(max(data.outlet_articles.values(), default=0))
    x_right = width - label_w
    sx = lambda v: plot_w * v / xmax
    parts = [(f'<svg class="chart" role="img" aria-labelledby="t-outlets" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">'),
             '<title id="t-outlets">Articles per outlet, by strongest topic</title>']
    for v in range(0, xmax + 1, step):
        x = x_right - sx(v)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{m_top}" y2="{height - m_bottom}" class="grid"/>'
                     f'<text x="{x:.1f}" y="{height - m_bottom + 16}" class="tick" text-anchor="middle">{v}</text>')
    for i, o in enumerate(outlets):
        yy = m_top + i * row_h
        name = data.outlet_names.get(o, o)
        # direction rtl: "start" is the right end, so the name sits at the right edge and the id follows it
        parts.append(f'<text x="{width - 8}" y="{yy + row_h / 2 + 5:.1f}" class="olabel" text-anchor="start" '
                     f'direction="rtl">{_e(name)}<tspan class="oid"> {_e(o)}</tspan></text>')
        x = x_right
        for t in data.topics + [NO_TOPIC]:
            v = data.outlet_primary.get((o, t), 0)
            if not v:
                continue
            w = sx(v)
            x -= w
            parts.append(f'<rect x="{x:.1f}" y="{yy + 5}" width="{max(w - 1, 1):.1f}" height="{row_h - 10}" '
                         f'fill="{colors[t]}"><title>{_e(name)} · {_e(_label(data, t))}: {v}</title></rect>')
            if w >= 18:
                cls = "inbar dark" if t == NO_TOPIC else "inbar"
                parts.append(f'<text x="{x + w / 2 - 0.5:.1f}" y="{yy + row_h / 2 + 4:.1f}" class="{cls}" '
                             f'text-anchor="middle">{v}</text>')
        parts.append(f'<text x="{x - 5:.1f}" y="{yy + row_h / 2 + 4:.1f}" class="val total" text-anchor="end">'
                     f'{data.outlet_articles[o]}</text>')
    parts.append(f'<line x1="{x_right}" x2="{x_right}" y1="{m_top}" y2="{height - m_bottom}" class="axis"/>')
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------------------- sections


CSS = """
:root{--fg:#1d2530;--muted:#5d6875;--line:#dde2e8;--bg:#f5f7fa;--card:#fff;--bad:#b3261e;--warn:#a15c00;--ok:#1e7b45}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
 font:15px/1.55 "Noto Naskh Arabic","Noto Sans Arabic","Segoe UI",Tahoma,"DejaVu Sans",Arial,sans-serif}
main{max-width:980px;margin:0 auto;padding:20px 18px 40px}
header h1{margin:0 0 2px;font-size:26px}
header p{margin:0;color:var(--muted)}
h2{font-size:19px;margin:0 0 10px}
h2 small,h1 small{font-weight:normal;color:var(--muted);font-size:13px;margin-inline-start:8px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:16px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(135px,1fr));gap:10px;margin:16px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .v{font-size:26px;font-weight:bold}
.card .k{color:var(--muted);font-size:13px}
.card.bad .v{color:var(--bad)}
.num{unicode-bidi:isolate;direction:ltr}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:start;vertical-align:top}
th{background:#eef1f5;font-weight:600}
td.n,th.n{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}
.legend{list-style:none;margin:4px 0 8px;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-inline-end:5px;vertical-align:-1px}
.chart{display:block;max-width:100%;height:auto;direction:ltr}
.chart .grid{stroke:#e6e9ee;stroke-width:1}
.chart .axis{stroke:#8a95a1;stroke-width:1}
.chart text{font-family:inherit;fill:#3b4652}
.chart .tick{font-size:11px;fill:#6b7682}
.chart .today{font-weight:bold;fill:#1d2530}
.chart .sub{font-size:10px}
.chart .val{font-size:10px}
.chart .total{font-size:12px;font-weight:bold}
.chart .inbar{font-size:11px;fill:#fff}
.chart .inbar.dark{fill:#2d3640}
.chart .olabel{font-size:13px}
.chart .oid{font-size:10px;fill:#8a95a1}
.note{color:var(--muted);font-size:13px;margin:6px 0 0}
.empty{color:var(--muted);font-style:italic}
.nodata{background:#fff8e1;border-color:#f0d68a}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;background:#7b8794}
.badge.failing{background:var(--bad)}.badge.degraded{background:var(--warn)}.badge.ok{background:var(--ok)}
ul.members{margin:4px 0 0;padding-inline-start:18px;font-size:13px;color:#3b4652}
ul.plain{margin:0;padding-inline-start:18px}
.title{font-weight:600}
a{color:#1f5d99}
code,.mono{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:12px}
details summary{cursor:pointer;color:var(--muted);font-size:13px;margin-top:8px}
footer{color:var(--muted);font-size:12px;margin-top:20px}
"""


def _section(title_ar: str, title_en: str, body: str, sid: str, extra_class: str = "") -> str:
    cls = f' class="{extra_class}"' if extra_class else ""
    return f'<section id="{sid}"{cls}><h2>{_e(title_ar)}<small>{_en(_e(title_en))}</small></h2>{body}</section>'


def _outlet_cell(data: ReportData, o: str) -> str:
    name = data.outlet_names.get(o)
    return f'{_e(name)} <small>{_ltr(o)}</small>' if name and name != o else _ltr(o)


def _headline(data: ReportData) -> str:
    cards = [
        ("articles", "المقالات المقبولة", "Articles", _num(data.articles), False),
        ("outlets", "المنافذ", "Outlets with articles / crawled",
         f'<bdi dir="ltr">{len(data.outlet_articles):,} <small>/ {len(data.outlets_crawled):,}</small></bdi>', False),
        ("quarantine", "في الحجر", "Quarantined (rate)",
         f'{_num(data.quarantined)} <small>({_num(_pct(data.quarantine_rate))})</small>', bool(data.quarantined)),
        ("fetch", "طلبات فاشلة", "Failed fetches / attempts",
         f'<bdi dir="ltr">{data.fetch_failures:,} <small>/ {data.fetch_attempts:,}</small></bdi>', bool(data.fetch_failures)),
        ("clusters", "عناقيد متقاربة", "Near-duplicate clusters", _num(data.n_clusters), False),
        ("problems", "منافذ بها مشكلات", "Outlets with problems", _num(len(data.problems)), bool(data.problems)),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card{" bad" if bad else ""}" data-metric="{key}"><div class="v">{value}</div>'
        f'<div class="k">{_e(ar)} · {_en(_e(en))}</div></div>' for key, ar, en, value, bad in cards) + "</div>"


def _topics_section(data: ReportData) -> str:
    if not data.topic_day:
        body = _bi("empty", "لا مقالات موسومة في هذه الفترة.", "No tagged articles in this period.")
    else:
        head = "".join(f'<th class="n">{_ltr(f"{d:%m-%d}")}</th>' for d in data.days)
        rows = []
        for t in data.topics:
            cells = "".join(f'<td class="n" data-topic="{_e(t)}" data-date="{d:%Y-%m-%d}">{data.topic_day.get((t, d), 0)}</td>'
                            for d in data.days)
            rows.append(f"<tr><th>{_e(_label(data, t))}</th>{cells}</tr>")
        cells = "".join(f'<td class="n" data-topic="*" data-date="{d:%Y-%m-%d}">{data.articles_per_day.get(d, 0)}</td>'
                        for d in data.days)
        rows.append(f"<tr><th>كل المقالات · all articles</th>{cells}</tr>")
        body = (_legend(data, data.topics) + topics_per_day_svg(data)
                + _bi("note", f"آخر {len(data.days)} يوما، الأحدث إلى اليسار؛ الرقم تحت التاريخ = كل مقالات اليوم.",
                      f"Last {len(data.days)} days, newest on the left; an article with two topics counts in both; "
                      "the figure under each date is the day's total of articles.", "<br>")
                + f'<details><summary>الأرقام · figures</summary><table class="grid-table" id="topic-day">'
                  f'<tr><th>الموضوع</th>{head}</tr>{"".join(rows)}</table></details>')
    return _section("المواضيع يوما بيوم", "Articles per topic per day", body, "topics")


def _outlets_section(data: ReportData) -> str:
    if not data.outlet_articles:
        body = _bi("empty", "لا مقالات في هذا اليوم.", "No articles on this day.")
    else:
        segs = [t for t in data.topics if any(k[1] == t for k in data.outlet_primary)]
        if any(k[1] == NO_TOPIC for k in data.outlet_primary):
            segs.append(NO_TOPIC)
        outlets = sorted(set(data.outlet_articles) | set(data.outlet_quarantined) | set(data.outlet_fetch),
                         key=lambda o: (-data.outlet_articles.get(o, 0), o))
        head = "".join(f'<th class="n">{_e(_label(data, t))}<br><small>{_e(t)}</small></th>' for t in data.topics)
        rows = []
        for o in outlets:
            attempts, failed = data.outlet_fetch.get(o, (0, 0))
            cells = "".join(f'<td class="n" data-outlet="{_e(o)}" data-topic="{_e(t)}">{data.outlet_topic.get((o, t), 0)}</td>'
                            for t in data.topics)
            rows.append(f'<tr><th>{_outlet_cell(data, o)}</th>'
                        f'<td class="n" data-outlet="{_e(o)}" data-col="articles">{data.outlet_articles.get(o, 0)}</td>{cells}'
                        f'<td class="n" data-outlet="{_e(o)}" data-col="untagged">{data.outlet_untagged.get(o, 0)}</td>'
                        f'<td class="n" data-outlet="{_e(o)}" data-col="quarantined">{data.outlet_quarantined.get(o, 0)}</td>'
                        f'<td class="n" data-outlet="{_e(o)}" data-col="fetch_attempts">{attempts}</td>'
                        f'<td class="n" data-outlet="{_e(o)}" data-col="fetch_failures">{failed}</td></tr>')
        body = (_legend(data, segs) + outlets_svg(data)
                + _bi("note", "كل مقالة تُحسب مرة واحدة تحت أقوى مواضيعها؛ الجدول يعد كل الوسوم.",
                      "Each article counts once, under its strongest topic; the table counts every tag.", "<br>")
                + f'<table id="outlet-table"><tr><th>المنفذ · outlet</th><th class="n">مقالات<br><small>articles</small></th>{head}'
                  f'<th class="n">بلا موضوع<br><small>untagged</small></th><th class="n">في الحجر<br><small>quarantined</small></th>'
                  f'<th class="n">طلبات<br><small>fetches</small></th><th class="n">فاشلة<br><small>failed</small></th></tr>'
                  f'{"".join(rows)}</table>')
    return _section("المقالات حسب المنفذ", "Articles per outlet, by topic", body, "outlets")


def _clusters_section(data: ReportData) -> str:
    if not data.clusters:
        body = _bi("empty", "لا عناقيد أخبار متقاربة بين المنافذ في هذا اليوم.",
                   "No near-duplicate clusters across outlets on this day.")
    else:
        rows = []
        for i, c in enumerate(data.clusters, 1):
            members = []
            for m in c["members"]:
                href = _safe_href(m["url"])
                title = _e(m["title"])
                title = f'<a href="{_e(href)}" rel="noreferrer">{title}</a>' if href else title
                first = " · الأسبق" if m["is_first"] else f' · <span class="mono">d={_e(m["distance"])}</span>'
                members.append(f'<li>{_outlet_cell(data, m["outlet"])} · {_ltr(_fmt_time(m["published_at"]))}{first}'
                               f' — <span dir="auto">{title}</span></li>')
            outlets = "، ".join(_outlet_cell(data, o) for o in c["outlets"])
            rows.append(f'<tr class="cluster" data-cluster="{_e(c["cluster_id"])}"><td class="n">{i}</td>'
                        f'<td><div class="title" dir="auto">{_e(c["title"])}</div><ul class="members">{"".join(members)}</ul></td>'
                        f'<td>{outlets}</td><td class="n" data-col="size">{c["size"]}</td>'
                        f'<td class="n">{_ltr(_fmt_time(c["published_at"]))}</td></tr>')
        more = data.n_clusters - len(data.clusters)
        body = (_bi("note", f"{data.n_clusters} عنقودا ({data.clustered_articles} مقالة).",
                    f'{data.n_clusters} clusters, {data.clustered_articles} articles; SimHash of the body, method '
                    f'<span class="mono">{_e(data.cluster_method or "?")}</span>'
                    + (f"; showing the {len(data.clusters)} largest ({more} more)" if more > 0 else "") + ".")
                + '<table id="clusters-table"><tr><th class="n">#</th><th>الخبر (أسبق نشر) والمقالات · story and members</th>'
                  '<th>المنافذ · outlets</th><th class="n">الحجم</th><th class="n">أول نشر UTC</th></tr>'
                + "".join(rows) + "</table>")
    return _section("أكبر عناقيد الأخبار المتقاربة", "Top near-duplicate clusters (wire copy)", body, "clusters")


def _problems_section(data: ReportData) -> str:
    if not data.problems:
        body = _bi("empty", "لا مشكلات مسجلة.", "No problems recorded for this day.")
    else:
        rows = []
        for p in data.problems:
            items = []
            if p.rejected:
                items += [f"دفعة مرفوضة · {_en('rejected outlet-hour ' + _e(m))}" for m in p.rejected]
            if p.fetch_failures:
                items.append(f"فشل الجلب · {_en('fetch failures:')} " + ", ".join(
                    f'<span class="mono" data-failure-class="{_e(k)}">{_e(k)}×{v}</span>' for k, v in p.fetch_failures.items()))
                items += [f'<span class="mono">{_e(x)}</span>' for x in p.failure_examples[:3]]
            if p.quarantine:
                items.append(f"في الحجر · {_en('quarantined:')} " + ", ".join(
                    f'<span class="mono" data-reason="{_e(k)}">{_e(k)}×{v}</span>' for k, v in p.quarantine.items()))
            if p.no_crawl:
                items.append("لم يُجلب في هذا اليوم · " + _en("no fetch log on this day (crawled earlier in the window)"))
            items += [f"تحذير · {_en('warning ' + _e(w))}" for w in p.warnings[:5]]
            if p.health and p.status != "ok":
                items.append(f'<span class="mono">{_e(p.health)}</span>')
            rows.append(f'<tr class="problem" data-outlet="{_e(p.outlet)}"><td>{_outlet_cell(data, p.outlet)}</td>'
                        f'<td><span class="badge {_e(p.status)}">{_e(p.status)}</span></td>'
                        f'<td><ul class="plain">{"".join(f"<li>{x}</li>" for x in items)}</ul></td></tr>')
        body = ('<table id="problems-table"><tr><th>المنفذ · outlet</th><th>الحالة · health</th>'
                '<th>المشكلات · problems</th></tr>' + "".join(rows) + "</table>"
                + _bi("note", "الحالة في نهاية اليوم من سجل الجلب.",
                      "Health at the end of the day from the fetch log (marsad.crawl.health): failing = no discovery "
                      "request succeeded; fetch failures count attempts (retries included); quarantine reason codes are "
                      "the names of the failed GX expectations.", "<br>"))
    return _section("منافذ بها مشكلات", "Outlets with problems", body, "problems")


def _versions_section(data: ReportData) -> str:
    if not data.versions:
        body = _bi("empty", "لا صفوف في هذا اليوم.", "No rows on this day.")
    else:
        rows = "".join(f'<tr class="version"><td>{_ltr(r)}</td><td>{_ltr(p)}</td><td class="n">{a}</td><td class="n">{q}</td></tr>'
                       for r, p, a, q in data.versions)
        note = (_bi("note", "أكثر من إصدار في يوم واحد: أعيدت معالجة بعض الساعات بعد تغيير القواعد؟",
                    "More than one version on the day: some hours were re-derived after a change.", "<br>")
                if len(data.versions) > 1 else "")
        body = ('<table id="versions-table"><tr><th>rules_version</th><th>pipeline_version</th><th class="n">مقالات · articles</th>'
                f'<th class="n">في الحجر · quarantined</th></tr>{rows}</table>{note}')
    return _section("الإصدارات", "Versions of the day's rows", body, "versions")


def render(data: ReportData) -> str:
    day = f"{data.day:%Y-%m-%d}"
    nodata = ""
    if data.empty:
        nodata = _section("لا توجد بيانات لهذا اليوم", "No data for this day",
                          _bi("", "لم يُعثر في البحيرة على مقالات أو صفوف حجر أو سجل جلب لهذا اليوم.",
                              "The lake holds no articles, quarantined rows or fetch log for this day: was marsad_hourly "
                              "running?", "<br>"), "nodata", "nodata")
    body = "".join([
        (f'<header><h1>مرصد — التقرير اليومي {_ltr(day)}<small>{_en("Marsad daily report (UTC day)")}</small></h1>'
        f'<p>يوم {_ltr(day)} بالتوقيت العالمي · {_en(f"rows of the lake partitions <span class=mono>date={_e(day)}</span>")}</p>'
        '</header>'),
        nodata, _headline(data), _topics_section(data), _outlets_section(data), _clusters_section(data),
        _problems_section(data), _versions_section(data),
        (f'<footer>أُنشئ {_ltr(data.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))} · '
        + _en(f"lake {_e(data.lake)} · marsad.report (self-contained: no scripts, no external resources)") + "</footer>"),
    ])
    return ("<!DOCTYPE html>\n"
            '<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>مرصد — {_e(day)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def build_daily_report(day: date, lake: str | Path | None = None, days_back: int = 14, *, config_path=None,
                       topics_file=None) -> Path:
    """Write ``<lake>/reports/date=YYYY-MM-DD/report.html`` for the UTC ``day`` (atomically) and return its path."""
    if isinstance(day, datetime):
        day = day.date()
    data = collect(day, lake, days_back, config_path=config_path, topics_file=topics_file)
    text = render(data)
    path = report_path(lake, day)
    if is_remote(path):
        put_bytes(text.encode("utf-8"), path)  # one PUT: atomic per object
        tmp = None
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if tmp is not None:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    log.info("report %s: %d articles, %d outlets, %d quarantined, %d clusters, %d outlets with problems → %s",
             day, data.articles, len(data.outlet_articles), data.quarantined, data.n_clusters, len(data.problems), path)
    return path
