"""The daily HTML report (marsad.report) over a real lake built from the outlet mirror.

The lake comes from the pipeline itself: two hours of the mirror's three default outlets plus youm7,
which re-publishes stories of the others (wire copy), so the day has near-duplicate clusters across
outlets; tahyamisr serves a removed story (HTTP 404) and sudanile a Persian page (quarantined)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import lxml.html
import pytest
from marsad.lake.query import connect

ANCHOR = datetime(2026, 2, 12, 12, tzinfo=UTC)  # the mirror's clock (same as conftest.MIRROR_ANCHOR)
DAY = ANCHOR.date()
SITES = ["tahyamisr", "alwasat", "sudanile", "youm7"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from marsad.lake.clusters import build_clusters
    from marsad.mirror.server import Mirror
    from marsad.pipeline import run_interval
    from marsad.report import build_daily_report
    from tests_support import free_port_range

    tmp = tmp_path_factory.mktemp("report")
    lake = tmp / "lake"
    m = Mirror(base_port=free_port_range(len(SITES) + 2), anchor=ANCHOR, sites=SITES).start()
    try:
        config = m.write_outlets_config(tmp / "outlets.mirror.yaml")
        for hours in (3, 2):
            results = run_interval(ANCHOR - timedelta(hours=hours), lake=lake, config_path=config)
            assert all(r["ok"] for r in results), results
    finally:
        m.stop()
    clusters = build_clusters(DAY, lake)
    path = build_daily_report(DAY, lake, config_path=config)
    return {"lake": lake, "path": path, "html": path.read_text(encoding="utf-8"), "clusters": clusters, "config": config}


def _doc(text: str):
    return lxml.html.document_fromstring(text)


def _cells(doc, **attrs) -> dict:
    cond = " and ".join(f"@data-{k}" if v is None else f"@data-{k}='{v}'" for k, v in attrs.items())
    return {tuple(td.get(f"data-{k}") for k in attrs if attrs[k] is None): int(td.text_content())
            for td in doc.xpath(f"//td[{cond}]")}


def test_report_written_atomically_into_the_lake(built):
    path = built["path"]
    assert path == built["lake"] / "reports" / f"date={DAY:%Y-%m-%d}" / "report.html"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left behind


def test_numbers_equal_what_duckdb_reads(built):
    con = connect(built["lake"])
    doc = _doc(built["html"])
    per_outlet = dict(con.execute("SELECT outlet, count(*) FROM articles WHERE date = ? GROUP BY 1", [DAY]).fetchall())
    assert set(per_outlet) == set(SITES) and all(per_outlet.values())
    assert _cells(doc, outlet=None, col="articles") == {(o,): n for o, n in per_outlet.items()}
    per_outlet_topic = {(o, t): n for o, t, n in con.execute(
        "SELECT outlet, topic, count(*) FROM article_topics WHERE date = ? GROUP BY ALL", [DAY]).fetchall()}
    shown = {k: v for k, v in _cells(doc, outlet=None, topic=None).items() if v}
    assert shown == per_outlet_topic and sum(shown.values()) > 0
    per_topic_day = {(t, f"{d:%Y-%m-%d}"): n for t, d, n in con.execute(
        "SELECT topic, date, count(*) FROM article_topics GROUP BY ALL").fetchall()}
    shown = _cells(doc, topic=None, date=None)
    assert {k: v for k, v in shown.items() if v and k[0] != "*"} == per_topic_day
    assert len({d for _t, d in shown}) == 14 and shown[("*", f"{DAY:%Y-%m-%d}")] == sum(per_outlet.values())
    quarantined = con.execute("SELECT count(*) FROM quarantine WHERE date = ?", [DAY]).fetchone()[0]
    assert quarantined >= 1
    assert _cells(doc, outlet="sudanile", col="quarantined") == {(): quarantined}
    # headline cards
    card = lambda key: doc.xpath(f"//div[@data-metric='{key}']//div[@class='v']")[0].text_content()
    assert card("articles").strip() == str(sum(per_outlet.values()))
    rate = quarantined / (quarantined + sum(per_outlet.values())) * 100
    assert card("quarantine").split()[0] == str(quarantined) and f"{rate:.1f}%" in card("quarantine")
    failures, attempts = con.execute("SELECT count(failure_class), count(*) FROM fetch_log WHERE date = ?", [DAY]).fetchone()
    assert re.sub(r"\s+", "", card("fetch")) == f"{failures}/{attempts}"
    # both charts are drawn
    assert len(doc.xpath("//svg")) == 2 and len(doc.xpath("//svg//rect")) >= len(per_outlet_topic)


def test_clusters_section(built):
    assert built["clusters"]["clusters"] >= 1, "youm7 re-publishes stories of the other outlets"
    con = connect(built["lake"])
    expected = {cid: (size, outlets) for cid, size, outlets in con.execute(
        "SELECT cluster_id, any_value(cluster_size), list(DISTINCT outlet ORDER BY outlet) FROM clusters WHERE date = ? "
        "GROUP BY 1", [DAY]).fetchall()}
    doc = _doc(built["html"])
    rows = doc.xpath("//tr[@class='cluster']")
    assert {r.get("data-cluster") for r in rows} == set(expected)
    for r in rows:
        size, outlets = expected[r.get("data-cluster")]
        assert int(r.xpath(".//td[@data-col='size']")[0].text_content()) == size
        text = r.text_content()
        assert all(o in text for o in outlets)
    first_title = con.execute("SELECT title FROM clusters WHERE date = ? AND is_first LIMIT 1", [DAY]).fetchone()[0]
    assert first_title in doc.xpath("//table[@id='clusters-table']")[0].text_content()


def test_outlets_with_problems(built):
    doc = _doc(built["html"])
    problems = {r.get("data-outlet"): r for r in doc.xpath("//tr[@class='problem']")}
    assert problems["tahyamisr"].xpath(".//*[@data-failure-class='http_4xx']")  # the removed story (404)
    assert "404" in problems["tahyamisr"].text_content()
    assert problems["sudanile"].xpath(".//*[@data-reason='language_ar']")  # the Persian page
    assert "alwasat" not in problems


def test_versions_and_rtl(built):
    con = connect(built["lake"])
    doc = _doc(built["html"])
    root = doc.xpath("/html")[0]
    assert root.get("lang") == "ar" and root.get("dir") == "rtl"
    versions = con.execute("SELECT DISTINCT rules_version, pipeline_version FROM articles WHERE date = ?", [DAY]).fetchall()
    table = doc.xpath("//table[@id='versions-table']")[0].text_content()
    assert all(r in table and p in table for r, p in versions)


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base", "embed"})

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _assert_self_contained(text: str):
    assert text.startswith("<!DOCTYPE html>")
    p = _Balance()
    p.feed(text)
    p.close()
    assert not p.errors and not p.stack, (p.errors[:5], p.stack)
    doc = _doc(text)
    assert not doc.xpath("//script | //iframe | //object | //embed | //link")
    for el in doc.xpath("//*[@src]"):
        assert not re.match(r"\s*(https?:)?//", el.get("src")), lxml.html.tostring(el)[:200]
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)\s*=\s*[\"']?\s*(https?:)?//", text, re.IGNORECASE)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", text, re.IGNORECASE)  # no remote CSS resources
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp and "default-src 'none'" in csp[0]


def test_valid_self_contained_html(built):
    _assert_self_contained(built["html"])


def test_empty_day(built, tmp_path):
    from marsad.report import build_daily_report

    path = build_daily_report(DAY - timedelta(days=30), built["lake"], days_back=3)
    text = path.read_text(encoding="utf-8")
    _assert_self_contained(text)
    assert "No data for this day" in text and 'id="outlet-table"' not in text and 'id="clusters-table"' not in text
    doc = _doc(text)
    assert doc.xpath("//div[@data-metric='articles']//div[@class='v']")[0].text_content().strip() == "0"
    # a lake with nothing at all
    path = build_daily_report(date(2026, 1, 1), tmp_path / "no-lake")
    assert "No data for this day" in path.read_text(encoding="utf-8")


def test_web_text_is_escaped(tmp_path):
    """Titles and URLs come from the web: nothing in them can become markup or a link target."""
    from marsad.lake import writer
    from marsad.lake.clusters import build_clusters
    from marsad.process import simhash64
    from marsad.report import build_daily_report

    h9 = ANCHOR - timedelta(hours=3)
    body = "وكالة الأنباء نقلت أن الحكومة في طرابلس أعلنت خطة لإعادة إعمار الجنوب بعد الفيضانات " * 8
    evil = '<script>alert(1)</script><img src="https://evil.test/x.png"> "ليبيا" & \x07'

    def row(i, outlet, url):
        return {"article_id": f"{outlet}-{i}", "url": url, "canonical_url": url, "outlet": outlet, "title": evil,
                "body": body, "simhash": simhash64(body), "published_at": h9 + timedelta(minutes=i),
                "fetched_at": h9 + timedelta(hours=1), "topics": ["libya"],
                "topic_hits": [{"topic": "libya", "score": 0.8, "evidence": ["ليبيا"]}], "interval_start": h9,
                "rules_version": "<b>v</b>", "pipeline_version": "0.1.0"}

    writer.commit_partition(tmp_path, "articles", "tahyamisr", h9, [row(1, "tahyamisr", "javascript:alert(1)")])
    writer.commit_partition(tmp_path, "articles", "alwasat", h9, [row(2, "alwasat", 'https://x.test/a"><script>')])
    writer.commit_partition(tmp_path, "fetch_log", "alwasat", h9, [
        {"outlet": "alwasat", "interval_start": h9, "url": "https://x.test/<script>", "kind": "article", "attempt": 1,
         "status": 500, "failure_class": "http_5xx", "error": "<script>x</script>", "fetched_at": h9}])
    assert build_clusters(DAY, tmp_path)["clusters"] == 1
    text = build_daily_report(DAY, tmp_path).read_text(encoding="utf-8")
    _assert_self_contained(text)
    assert "<script" not in text and "<img" not in text and "<b>v" not in text and "\x07" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "href=\"javascript" not in text  # an unsafe URL is not made a link
    doc = _doc(text)
    assert not [a for a in doc.xpath("//a/@href") if not a.startswith("https://x.test/")]
    assert doc.xpath("//tr[@class='problem' and @data-outlet='alwasat']//*[@data-failure-class='http_5xx']")
