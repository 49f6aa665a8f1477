import json

import pytest

from marsad.crawl.discover import DiscoveryError, parse_feed, parse_listing, parse_sitemap

BASE = "https://www.example.com/"


def test_rss_items_with_dates_and_offsite_links_dropped():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>https://www.example.com/a?utm_source=rss</link><pubDate>Thu, 12 Feb 2026 08:20:00 +0200</pubDate></item>
    <item><title>b</title><link>https://other.com/b</link></item></channel></rss>"""
    (c,) = parse_feed(rss, BASE)
    assert c.canonical == "https://www.example.com/a" and c.published.isoformat() == "2026-02-12T06:20:00+00:00"


def test_atom_and_json_feed():
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>x</title>
    <link href="https://www.example.com/x"/><updated>2026-02-12T10:00:00Z</updated></entry></feed>"""
    assert [c.canonical for c in parse_feed(atom, BASE)] == ["https://www.example.com/x"]
    jf = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://www.example.com/j", "date_published": "2026-02-12T10:00:00+02:00"}]}).encode()
    (c,) = parse_feed(jf, BASE)
    assert c.published.hour == 8


def test_broken_feed_is_a_clear_error():
    with pytest.raises(DiscoveryError, match="not a readable feed"):
        parse_feed(b"<html><body>maintenance</body></html>", BASE)


def test_sitemap_index_and_news_sitemap():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.example.com/old.xml</loc><lastmod>2025-01-01</lastmod></sitemap>
      <sitemap><loc>https://www.example.com/new.xml</loc><lastmod>2026-02-12</lastmod></sitemap></sitemapindex>"""
    cands, children = parse_sitemap(index, BASE)
    assert cands == [] and children == ["https://www.example.com/new.xml", "https://www.example.com/old.xml"]
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://www.example.com/n1</loc><news:news><news:publication_date>2026-02-12T09:00:00Z</news:publication_date></news:news></url>
      <url><loc>https://www.example.com/n2</loc><lastmod>2026-02-11</lastmod></url></urlset>"""
    cands, _ = parse_sitemap(news, BASE)
    assert [(c.canonical[-2:], c.published.day) for c in cands] == [("n1", 12), ("n2", 11)]


def test_listing_with_selector():
    page = b"""<html><body><nav><a href="/about">about</a></nav>
      <ul><li><a class="story" href="/news/1">one</a></li><li><a class="story" href="/news/1#c">dup</a></li>
      <li><a class="story" href="https://other.com/x">off</a></li></ul></body></html>"""
    assert [c.canonical for c in parse_listing(page, BASE, "a.story")] == ["https://www.example.com/news/1"]
