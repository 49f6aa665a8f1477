"""Bad input never crashes a batch: empty, binary, malformed, oversized, legacy-encoded pages."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from marsad.extract.article import MAX_PAGE_BYTES, extract_article

DATA = Path(__file__).resolve().parents[2] / "data/extract"
URL = "https://example.com/news/1"
UTC = timezone.utc


@pytest.mark.parametrize("name", ["empty.html", "whitespace.html"])
def test_empty_pages(name):
    r = extract_article((DATA / name).read_bytes(), URL)
    assert r.error == "empty page" and r.body == "" and r.title is None
    assert extract_article("", URL).error == "empty page"
    assert extract_article(None, URL).error == "empty page"


def test_binary_page():
    r = extract_article((DATA / "binary.bin").read_bytes(), URL)
    assert r.error.startswith("binary content") and r.body == ""
    assert extract_article(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", URL).error == "binary content (pdf)"
    assert extract_article(b"\x00\x01\x02garbage\x00" * 100, URL).error == "binary content"


def test_20mb_page_is_refused_quickly():
    big = b"<html><body>" + b"<p>\xd9\x86\xd8\xb5 " * (20 * 1024 * 1024 // 8) + b"</body></html>"
    r = extract_article(big, URL)
    assert r.error == f"page too large: {len(big)} bytes > {MAX_PAGE_BYTES}"
    assert extract_article(big.decode("utf-8"), URL).error.startswith("page too large")


def test_malformed_page_still_extracts():
    r = extract_article((DATA / "broken_article.html").read_bytes(), URL)
    assert r.error is None
    assert r.title == "انقطاع الكهرباء عن عدة أحياء في المدينة"
    assert len(r.body.split("\n")) == 3 and r.body.startswith("أعلنت شركة الكهرباء")


@pytest.mark.parametrize("junk", [b"<<<>>>", b"<html", b"</p></div></body>", b"<!-- only a comment -->",
                                  "<html><body>\ud800</body></html>", b"\xff\xfe<\x00h\x00", b"plain text, no markup"])
def test_junk_never_raises(junk):
    r = extract_article(junk, URL)
    assert r.body == "" and r.error


def test_windows_1256_page_with_levantine_and_hijri_date_line():
    raw = (DATA / "windows1256_article.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = extract_article(raw, URL, timezone="Asia/Riyadh", fetched_at=datetime(2020, 7, 1, tzinfo=UTC))
    assert r.error is None
    assert r.title == "وزير الخارجية يستقبل نظيره الأردني في الرياض"
    assert r.body.count("\n") == 2 and "آخر الأخبار" not in r.body and "شارك" not in r.body
    assert r.published_at == datetime(2020, 6, 24, 7, 15, tzinfo=UTC) and r.date_source == "text"
    assert r.author == "سعد العتيبي"
    assert r.language == "ar" and r.language_declared == "ar"
    # the caller's encoding wins (e.g. from the HTTP header)
    assert extract_article(raw, URL, encoding="windows-1256").title == r.title


def test_no_article_gives_reason():
    r = extract_article((DATA / "no_article.html").read_bytes(), URL)
    assert r.body == "" and r.error == "no article body found"


def test_non_arabic_page_is_reported_not_dropped():
    r = extract_article((DATA / "persian_declared_ar.html").read_bytes(), URL)
    assert r.error is None and r.body
    assert r.language == "fa" and r.language_declared == "ar"


PAGE = """<html lang="ar"><head><title>خبر تجريبي</title>{meta}</head><body><article><h1>خبر تجريبي</h1>
<div class="date">{line}</div><p>هذه فقرة أولى من خبر تجريبي تحتوي على نص كاف لاستخراجه كجسم للمقال في الاختبار.</p>
<p>وهذه فقرة ثانية من الخبر التجريبي نفسه، تحتوي كذلك على نص كاف للاستخراج.</p></article></body></html>"""


def test_date_fallbacks_and_future_clamp():
    fetched = datetime(2026, 2, 12, 10, 0, tzinfo=UTC)
    feed = datetime(2026, 2, 12, 6, 0, tzinfo=UTC)
    # a meta date in the future is rejected; the text line is used instead
    html = PAGE.format(meta='<meta property="article:published_time" content="2026-03-01T10:00:00Z">',
                       line="الخميس 12 فبراير 2026 09:00 ص")
    r = extract_article(html, URL, timezone="Africa/Cairo", fetched_at=fetched)
    assert (r.published_at, r.date_source) == (datetime(2026, 2, 12, 7, 0, tzinfo=UTC), "text")
    # relative date line
    r = extract_article(PAGE.format(meta="", line="منذ ساعتين"), URL, fetched_at=fetched)
    assert (r.published_at, r.date_source) == (fetched - timedelta(hours=2), "text")
    # no date on the page: URL, then feed, then fetched
    r = extract_article(PAGE.format(meta="", line=""), "https://x.com/2026/02/11/a", fetched_at=fetched)
    assert (r.published_at, r.date_source) == (datetime(2026, 2, 11, tzinfo=UTC), "url")
    r = extract_article(PAGE.format(meta="", line=""), URL, feed_published=feed, fetched_at=fetched)
    assert (r.published_at, r.date_source) == (feed, "feed")
    r = extract_article(PAGE.format(meta="", line=""), URL, feed_published=fetched + timedelta(days=1),
                        fetched_at=fetched)
    assert (r.published_at, r.date_source) == (fetched, "fetched")
    # JSON-LD first
    jl = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
          '"headline":"خبر تجريبي","datePublished":"2026-02-10T08:00:00+02:00","author":{"@type":"Person",'
          '"name":"سارة أحمد"}}</script>')
    r = extract_article(PAGE.format(meta=jl, line="الخميس 12 فبراير 2026"), URL, fetched_at=fetched)
    assert (r.published_at, r.date_source) == (datetime(2026, 2, 10, 6, 0, tzinfo=UTC), "jsonld")
    assert r.author == "سارة أحمد" and "title=jsonld" in r.extraction_method


def test_bad_hints_are_ignored():
    class Hints:
        title = "h1[["
        body = ":::"
        date = None
        author = None
        drop = ["div[", "nav"]

    r = extract_article(PAGE.format(meta="", line=""), URL, hints=Hints())
    assert r.error is None and r.title == "خبر تجريبي" and "body=generic" in r.extraction_method
