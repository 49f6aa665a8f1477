"""marsad.monitor (figures of the Media monitor page) on a small hand-written lake, its HTML, and the plugin's
FastAPI app (without a running Airflow)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from marsad.lake.writer import commit_partition
from marsad.monitor import monitor_data, render_monitor_html

T = datetime(2026, 2, 12, 12, 0, tzinfo=timezone.utc)  # the end of the latest interval in the lake
H = timedelta(hours=1)

OUTLETS_YAML = """
version: 1
settings: {}
outlets:
  - id: alpha
    name: ألفا نيوز
    country: EG
    discovery: [{type: rss, url: "https://alpha.example/rss.xml"}]
  - id: beta
    name: "<b>Beta & co</b>"
    country: LY
    discovery: [{type: rss, url: "https://beta.example/rss.xml"}]
  - id: gamma
    name: غاما
    country: SD
    discovery: [{type: rss, url: "https://gamma.example/rss.xml"}]
  - id: delta
    name: disabled outlet
    country: SD
    enabled: false
    discovery: [{type: rss, url: "https://delta.example/rss.xml"}]
"""


def _article(outlet, start, i, topics):
    return {"article_id": f"{outlet}-{start:%d%H}-{i}", "url": f"https://{outlet}.example/{start:%d%H}/{i}",
            "outlet": outlet, "title": f"عنوان {i}", "body": "نص", "published_at": start + timedelta(minutes=5 * i),
            "fetched_at": start + timedelta(minutes=30), "language": "ar", "topics": topics, "interval_start": start}


def _fetch(outlet, start, kind, status, failure_class=None, attempt=1, url=None):
    return {"outlet": outlet, "interval_start": start, "url": url or f"https://{outlet}.example/{kind}",
            "kind": kind, "attempt": attempt, "status": status, "failure_class": failure_class,
            "error": failure_class and f"{failure_class} error", "fetched_at": start + timedelta(minutes=attempt)}


@pytest.fixture
def small_lake(tmp_path):
    lake = tmp_path / "lake"
    # alpha: 3 articles in the last hour, 2 three hours before, 1 outside the 48 h window (50 h before)
    commit_partition(lake, "articles", "alpha", T - H, [
        _article("alpha", T - H, 0, ["libya"]), _article("alpha", T - H, 1, ["libya", "sudan"]),
        _article("alpha", T - H, 2, [])])
    commit_partition(lake, "articles", "alpha", T - 3 * H, [
        _article("alpha", T - 3 * H, 0, ["sudan"]), _article("alpha", T - 3 * H, 1, [])])
    commit_partition(lake, "articles", "alpha", T - 50 * H, [_article("alpha", T - 50 * H, 0, ["libya"])])
    commit_partition(lake, "quarantine", "alpha", T - H, [
        {**_article("alpha", T - H, 9, []), "reason_codes": ["language_ar", "body_length"], "reason_detail": "fa"}])
    commit_partition(lake, "fetch_log", "alpha", T - H, [
        _fetch("alpha", T - H, "feed", 200), _fetch("alpha", T - H, "article", 200, url="https://alpha.example/a"),
        _fetch("alpha", T - H, "article", 404, "http_4xx", url="https://alpha.example/gone")])
    commit_partition(lake, "fetch_log", "alpha", T - 3 * H, [
        _fetch("alpha", T - 3 * H, "feed", 200),
        _fetch("alpha", T - 3 * H, "article", None, "timeout", 1, "https://alpha.example/slow"),
        _fetch("alpha", T - 3 * H, "article", None, "timeout", 2, "https://alpha.example/slow")])
    commit_partition(lake, "fetch_log", "alpha", T - 50 * H, [
        _fetch("alpha", T - 50 * H, "feed", None, "dns")])
    # beta: its feed fails three hours in a row (dns), nothing published
    for k in (3, 2, 1):
        commit_partition(lake, "fetch_log", "beta", T - k * H, [_fetch("beta", T - k * H, "feed", None, "dns")])
    cfg = tmp_path / "outlets.yaml"
    cfg.write_text(OUTLETS_YAML, encoding="utf-8")
    return lake, cfg


def _by_outlet(data):
    return {o["outlet"]: o for o in data["outlets"]}


def _iso(t):
    return t.isoformat().replace("+00:00", "Z")


def test_window_ends_at_latest_data_and_figures_match_the_lake(small_lake):
    lake, cfg = small_lake
    data = monitor_data(lake, config_path=cfg)
    assert data["window"] == {"start": _iso(T - 48 * H), "end": _iso(T), "hours": 48, "basis": "latest_data",
                              "first_day": "2026-01-30", "last_day": "2026-02-12", "days": 14}
    out = _by_outlet(data)
    assert list(out) == ["alpha", "beta", "gamma"]  # configured-but-empty gamma listed; disabled "delta" not

    a = out["alpha"]
    assert a["name"] == "ألفا نيوز"
    assert a["articles_window"] == 5 and a["articles_total"] == 6  # the 50-hour-old one is outside the window
    per_hour = {p["hour"]: p["n"] for p in a["articles_per_hour"]}
    assert len(per_hour) == 48 and sum(per_hour.values()) == 5
    assert per_hour[_iso(T - H)] == 3 and per_hour[_iso(T - 3 * H)] == 2 and per_hour[_iso(T - 2 * H)] == 0
    assert a["articles_per_hour"][0]["hour"] == _iso(T - 48 * H) and a["peak_per_hour"] == 3
    assert a["failure_classes"] == {"timeout": 2, "http_4xx": 1}  # the dns failure is 50 h old
    assert a["failed_attempts"] == 3 and a["fetch_attempts"] == 6
    assert a["quarantined"] == 1 and a["quarantine_rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert a["quarantine_reasons"] == {"body_length": 1, "language_ar": 1}
    assert a["last_success_interval"] == _iso(T - H)
    assert a["last_success"] == _iso(T - H + timedelta(minutes=1))  # fetched_at of the last successful request
    assert a["status"] == "degraded"  # 1 of 2 requests of the latest hour failed (marsad.crawl.health)

    b = out["beta"]
    assert b["status"] == "failing" and b["consecutive_failing_intervals"] == 3
    assert b["last_success"] is None and b["last_success_interval"] is None
    assert b["failure_classes"] == {"dns": 3} and b["articles_window"] == 0 and b["quarantine_rate"] is None
    assert out["gamma"]["status"] == "unknown" and out["gamma"]["articles_window"] == 0

    topics = {t["topic"]: {d["date"]: d["n"] for d in t["articles_per_day"] if d["n"]} for t in data["topics"]}
    assert topics["libya"] == {"2026-02-10": 1, "2026-02-12": 2}
    assert topics["sudan"] == {"2026-02-12": 2}
    assert topics["ramadan_diplomacy"] == {}  # known from seeds/topics.yaml, no articles
    assert [t["topic"] for t in data["topics"]][:2] == ["libya", "sudan"]  # by volume
    assert next(t for t in data["topics"] if t["topic"] == "libya")["label"] == "ليبيا"
    assert data["totals"] == {"articles_window": 5, "quarantined_window": 1, "failed_attempts_window": 6,
                              "outlets": 3}
    json.dumps(data)  # JSON-ready


def test_now_sets_the_window_end_rounded_up_to_the_hour(small_lake):
    lake, cfg = small_lake
    data = monitor_data(lake, now=T - timedelta(minutes=90), config_path=cfg)  # 10:30 → window ends 11:00
    assert data["window"]["end"] == _iso(T - H) and data["window"]["basis"] == "now"
    out = _by_outlet(data)
    assert out["alpha"]["articles_window"] == 2  # the 11:00 interval is after the window
    assert out["beta"]["failure_classes"] == {"dns": 2}
    short = monitor_data(lake, now=T, hours=2, config_path=cfg)
    assert len(_by_outlet(short)["alpha"]["articles_per_hour"]) == 2
    assert _by_outlet(short)["alpha"]["articles_window"] == 3


def test_empty_or_missing_lake(tmp_path):
    cfg = tmp_path / "outlets.yaml"
    cfg.write_text(OUTLETS_YAML, encoding="utf-8")
    data = monitor_data(tmp_path / "nolake", config_path=cfg)
    assert data["window"]["basis"] == "now"
    assert {o["outlet"]: o["status"] for o in data["outlets"]} == {"alpha": "unknown", "beta": "unknown",
                                                                  "gamma": "unknown"}
    assert all(t["total"] == 0 for t in data["topics"])
    page = render_monitor_html(data)
    assert "<h1>Media monitor" in page
    bare = monitor_data(tmp_path / "nolake", config_path=tmp_path / "missing.yaml")  # unreadable config: ids only
    assert bare["outlets"] == []
    assert "No outlets" in render_monitor_html(bare)


def test_render_shows_the_numbers_as_text_and_is_self_contained(small_lake):
    lake, cfg = small_lake
    page = render_monitor_html(monitor_data(lake, config_path=cfg))
    row = re.search(r'<tr data-outlet="alpha">.*?</tr>', page, re.S).group(0)
    assert 'class="articles-window" data-n="5">5<' in row
    assert "16.7 %" in row and "timeout × 2" in row and "http_4xx × 1" in row and "<bdi>ألفا نيوز</bdi>" in row
    assert re.search(r'<rect [^>]*data-hour="2026-02-12T11:00:00Z" data-n="3">', row)
    beta = re.search(r'<tr data-outlet="beta">.*?</tr>', page, re.S).group(0)
    assert "&lt;b&gt;Beta &amp; co&lt;/b&gt;" in beta and "<b>Beta" not in beta  # names are escaped
    assert ">failing<" in beta and "never" in beta
    libya = re.search(r'<tr data-topic="libya">.*?</tr>', page, re.S).group(0)
    assert '<td class="num" data-date="2026-02-12">2</td>' in libya
    assert '<td class="num" data-date="2026-02-10">1</td>' in libya
    assert 'class="topic-total">3<' in libya
    assert '<div class="v" id="total-articles">5</div>' in page
    # no scripts, no external resources (there is no internet where it runs)
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page) and "@import" not in page


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_plugin_app_serves_page_and_json(small_lake, monkeypatch):
    from fastapi.testclient import TestClient

    import marsad_monitor

    lake, cfg = small_lake
    monkeypatch.setenv("MARSAD_LAKE", str(lake))
    monkeypatch.setenv("MARSAD_OUTLETS", str(cfg))

    async def anyone(request):
        return object()

    async def nobody(request):
        return None

    plugin = marsad_monitor.MarsadMonitorPlugin
    assert plugin.fastapi_apps[0]["url_prefix"] == "/marsad-monitor"
    assert plugin.external_views[0]["name"] == "Media monitor"
    assert plugin.external_views[0]["href"] == "/marsad-monitor/"

    client = TestClient(marsad_monitor.create_app())
    monkeypatch.setattr(marsad_monitor, "_authorized_user", nobody)
    assert client.get("/data.json").status_code == 401
    monkeypatch.setattr(marsad_monitor, "_authorized_user", anyone)
    r = client.get("/data.json")
    assert r.status_code == 200 and _by_outlet(r.json())["alpha"]["articles_window"] == 5
    r = client.get("/data.json", params={"now": "2026-02-12T10:30:00Z"})
    assert _by_outlet(r.json())["alpha"]["articles_window"] == 2
    assert client.get("/data.json", params={"now": "yesterday"}).status_code == 400
    assert client.get("/data.json", params={"hours": 0}).status_code == 422
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'class="articles-window" data-n="5">5<' in r.text


def test_plugin_import_is_light():
    """Every Airflow component imports plugins: the module must not pull duckdb or pyarrow."""
    import subprocess
    import sys
    from pathlib import Path

    plugins = Path(__file__).resolve().parents[2] / "plugins"
    code = (f"import sys; sys.path.insert(0, {str(plugins)!r}); import marsad_monitor; "
            "print(sorted(m for m in ('duckdb', 'pyarrow', 'marsad.monitor', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
