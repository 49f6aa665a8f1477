"""The outlet mirror: simulated Arabic outlets on 127.0.0.1 for the demo and the tests.

Each outlet listens on its own port (base port + n), so per-host politeness and same-site
filtering behave as with real outlets. Every outlet has its own HTML template and discovery method:

- ``tahyamisr``  (EG)  RSS 2.0 feed; OpenGraph/article:* meta dates; serves the seed article page
- ``alwasat``    (LY)  news sitemap announced in robots.txt via a sitemap index; JSON-LD NewsArticle
- ``sudanile``   (SD)  listing page only; no JSON-LD, no meta date: the date is an Arabic date line
- ``youm7``      (EG)  JSON Feed whose links carry tracking parameters; itemprop meta date; rel=canonical
- ``masrawy``    (EG)  RSS 1.0 (RDF) feed (Last-Modified, no ETag); windows-1256 pages with NO declared
                       charset (neither HTTP nor <meta>); text date line; extraction hints in the config
- ``libyaalahrar`` (LY) Atom feed linking AMP variants (``/amp/``) with tracking parameters + a listing
                       page linking the plain pages with fragments: one article, two spellings; JSON-LD @graph
- ``alrakoba``   (SD)  sitemap only (a plain urlset with lastmod, also announced in robots.txt, no
                       validators: the body hash detects an unchanged sitemap); Arabic-Indic numeric date, no JSON-LD
- ``dabanga``    (SD)  listing page only (CSS selector ``div.list-item h3 a``); JSON-LD @graph
- ``alqudsalarabi`` (GB, pan-Arab) RSS 2.0 with ``?p=N`` short links + a news sitemap with the same articles

``Mirror()`` serves the first three (what the demo and the DAG test use; ``MARSAD_MIRROR_SITES=all`` or
a comma list changes the default), ``Mirror(sites="all")`` all of them, ``Mirror(sites=bench_sites(20),
articles_per_site=50)`` a benchmark bed of clones. Fault switches (``faults={site: [class, …]}``, off
by default) add one article URL per failure class to the outlet's discovery — see ``FAULTS``.

Articles come from ``seeds/mirror/articles.jsonl`` (real texts) with publication times spread over
the three hours before the mirror's ``anchor`` (default: the current hour), so a crawl of each of the
last three hours finds new articles. Only articles published before the mirror's clock are listed.
Feeds and sitemaps answer conditional GETs (ETag / Last-Modified) with 304.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from marsad.config import SEEDS_DIR

MIRROR_DIR = SEEDS_DIR / "mirror"
SEED_PUBLISHED = datetime(2026, 2, 12, 8, 20, tzinfo=timezone.utc)
SEED_PATH = "/News/1001/رئيس-المخابرات-العامة-يلتقي-القائد-العام-للجيش-الليبي"
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
AR_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]


@dataclass(frozen=True)
class SiteSpec:
    id: str
    name: str
    country: str
    timezone: str
    discovery: str  # rss | sitemap | listing | jsonfeed | rdf | atom+listing | rss+sitemap
    template: str = ""  # HTML template and URL scheme (default: the id)

    @property
    def tpl(self) -> str:
        return self.template or self.id


SITES = (
    SiteSpec("tahyamisr", "تحيا مصر", "EG", "Africa/Cairo", "rss"),
    SiteSpec("alwasat", "بوابة الوسط", "LY", "Africa/Tripoli", "sitemap"),
    SiteSpec("sudanile", "سودانايل", "SD", "Africa/Khartoum", "listing"),
    SiteSpec("youm7", "اليوم السابع", "EG", "Africa/Cairo", "jsonfeed"),
    SiteSpec("masrawy", "مصراوي", "EG", "Africa/Cairo", "rdf"),
    SiteSpec("libyaalahrar", "ليبيا الأحرار", "LY", "Africa/Tripoli", "atom+listing"),
    SiteSpec("alrakoba", "الراكوبة", "SD", "Africa/Khartoum", "sitemap-urlset"),
    SiteSpec("dabanga", "راديو دبنقا", "SD", "Africa/Khartoum", "listing"),
    SiteSpec("alqudsalarabi", "القدس العربي", "GB", "Europe/London", "rss+sitemap"),
)
SITES_BY_ID = {s.id: s for s in SITES}
ORIGINAL_SITES = ("tahyamisr", "alwasat", "sudanile")
DEFAULT_SITES = ORIGINAL_SITES
DEAD_HOST_SUFFIX = "nonexistent.invalid"  # RFC 2606: never resolves, fails at resolution without traffic
LINK_LOCAL_TARGET = "http://169.254.169.254/latest/meta-data/"
PRIVATE_FEED = "http://10.255.255.1/rss.xml"

#: fault switches: failure class -> the fault article paths served (see Mirror._fault)
FAULTS: dict[str, tuple[str, ...]] = {
    "dns": ("/fault/dns/1",),                        # 302 to <site>.nonexistent.invalid
    "connect": ("/fault/connect/1",),                # 302 to a closed port on 127.0.0.1 (allow-listed)
    "timeout": ("/fault/timeout/headers", "/fault/timeout/body"),  # sleeps before headers / mid-body
    "http_4xx": ("/fault/http_4xx/410", "/fault/http_4xx/429"),   # 429 carries Retry-After: 0 (retried)
    "http_5xx": ("/fault/http_5xx/503",),            # 503 + Retry-After: 0, every time
    "blocked_by_robots": ("/fault/blocked_by_robots/1",),          # robots.txt disallows /fault/blocked_by_robots/
    "too_large": ("/fault/too_large/plain", "/fault/too_large/gzip"),  # 3 MB body; gzip bomb (small on the wire)
    "bad_encoding": ("/fault/bad_encoding/1",),      # text/html with bytes no charset decodes
    "not_html": ("/fault/not_html/pdf", "/fault/not_html/sniffed"),  # application/pdf; PDF bytes as text/html
    "redirect_refused": ("/fault/redirect_refused/linklocal", "/fault/redirect_refused/scheme"),
    "too_many_redirects": ("/fault/too_many_redirects/0",),
    "private_address": (),                           # a feed on 10.255.255.1 in the outlet's discovery
}


def bench_sites(n: int) -> list[SiteSpec]:
    """n simulated outlets for the benchmark, cycling over the templates (ids sim01_<template>…)."""
    out = []
    for k in range(n):
        t = SITES[k % len(SITES)]
        out.append(replace(t, id=f"sim{k + 1:02d}_{t.id}"[:40], name=f"{t.name} {k + 1}", template=t.tpl))
    return out


@dataclass(frozen=True)
class MirrorArticle:
    site: str
    num: int
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    template: str = ""

    @property
    def path(self) -> str:
        t, d = self.template or self.site, self.published
        if t == "tahyamisr":
            return f"/News/{self.num}/story"
        if t == "alwasat":
            return f"/news/{d:%Y/%m/%d}/{self.num}"
        if t == "youm7":
            return f"/story/{d.year}/{d.month}/{d.day}/{self.num}"
        if t == "masrawy":
            return f"/news/details/{self.num}"
        if t == "libyaalahrar":
            return f"/{d:%Y/%m/%d}/{self.num}/"
        if t == "alrakoba":
            return f"/{self.num}/"
        if t == "dabanga":
            return f"/ar/all-news/article/{self.num}"
        if t == "alqudsalarabi":
            return f"/?p={self.num}"
        return f"/index.php/articles/{self.num}"

    @property
    def amp_path(self) -> str:
        return self.path + "amp/" if self.path.endswith("/") else self.path + "/amp"


# Pages an operator should see rejected: a Persian article on an Arabic outlet (quarantined by the
# language expectation) and a feed item whose page is gone (fetch_log http_4xx).
PERSIAN_TITLE = "افزایش قیمت نان در بازار تهران"
PERSIAN_TEXT = (
    "قیمت نان در نانوایی‌های تهران از ابتدای این هفته افزایش یافت و شهروندان از این تصمیم گلایه کردند.\n"
    "مسئولان اتحادیه نانوایان می‌گویند افزایش هزینه آرد و دستمزد کارگران دلیل اصلی این تغییر بوده است.\n"
    "کارشناسان اقتصادی هشدار می‌دهند که ادامه این روند می‌تواند فشار بیشتری بر خانواده‌های کم‌درآمد وارد کند.\n"
    "سازمان حمایت از مصرف‌کنندگان اعلام کرد که بر اجرای نرخ‌های جدید در همه مناطق شهر نظارت خواهد کرد."
)
GONE_PATH = "/News/1999/story-removed"


def _corpus() -> list[dict]:
    return [json.loads(line) for line in (MIRROR_DIR / "articles.jsonl").read_text(encoding="utf-8").splitlines() if line]


def load_articles(anchor: datetime, sites: list[SiteSpec] | None = None, articles_per_site: int | None = None,
                  window_minutes: int = 175) -> list[MirrorArticle]:
    """Articles of the given sites (default: the original three), published in the ``window_minutes``
    before ``anchor``. The original three keep their fixed share of the corpus (every third article);
    sudanile also carries one Persian article (a page that must end in quarantine). Other sites get
    ``articles_per_site`` (default 6) articles re-dressed from the corpus (syndication is realistic)."""
    rows = _corpus()
    sites = list(sites) if sites is not None else [SITES_BY_ID[i] for i in ORIGINAL_SITES]
    out = []
    for site in sites:
        if site.id in ORIGINAL_SITES and not site.template:
            k = ORIGINAL_SITES.index(site.id)
            for i, r in enumerate(rows):
                if i % len(ORIGINAL_SITES) != k:
                    continue
                minutes = 175 - (i * 173 // max(1, len(rows) - 1))  # spread over ]anchor-3h, anchor-2min]
                paragraphs = tuple(p.strip() for p in r["text"].split("\n") if p.strip())
                out.append(MirrorArticle(site.id, 2000 + i, r["title"], paragraphs, anchor - timedelta(minutes=minutes)))
            if site.id == "sudanile":
                out.append(MirrorArticle("sudanile", 2999, PERSIAN_TITLE, tuple(PERSIAN_TEXT.split("\n")),
                                         anchor - timedelta(minutes=150)))
            continue
        n = articles_per_site or 6
        offset = sum(map(ord, site.id)) % len(rows)
        for j in range(n):
            r = rows[(offset + j * 5) % len(rows)]
            minutes = window_minutes - (j * (window_minutes - 2) // max(1, n - 1)) if n > 1 else window_minutes // 2
            paragraphs = tuple(p.strip() for p in r["text"].split("\n") if p.strip())
            out.append(MirrorArticle(site.id, 3000 + j, r["title"], paragraphs, anchor - timedelta(minutes=minutes),
                                     template=site.tpl))
    return out


def _arabic_date_line(dt: datetime, tz: str) -> str:
    local = dt.astimezone(ZoneInfo(tz))
    hour = local.hour % 12 or 12
    ampm = "ص" if local.hour < 12 else "م"
    text = f"{local.day} {AR_MONTHS[local.month - 1]} {local.year} - {hour}:{local.minute:02d} {ampm}"
    return text.translate(AR_DIGITS)


def _page(lang_title: str, head: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{lang_title}</title>'
            f"{head}</head><body>{body}</body></html>")


def render_article(site: SiteSpec, a: MirrorArticle, base: str, others: list[MirrorArticle]) -> str:
    t = html.escape(a.title)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in a.paragraphs)
    related = "".join(f'<li><a href="{base}{o.path}">{html.escape(o.title)}</a></li>' for o in others[:3])
    tz = ZoneInfo(site.timezone)
    local = a.published.astimezone(tz)
    if site.tpl == "tahyamisr":
        head = (f'<meta property="og:title" content="{t}"><meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="{a.published.astimezone(ZoneInfo(site.timezone)).isoformat()}">'
                f'<link rel="canonical" href="{base}{a.path}">')
        body = (f'<header class="site-header"><a class="logo" href="/">تحيا مصر</a><div class="editor">رئيس التحرير<br>عمرو الديب</div>'
                f'<nav><a href="/">الرئيسية</a><a href="/Section/1">أخبار مصر</a><a href="/Section/2">عربي ودولي</a></nav></header>'
                f'<main><article><h1 class="article-title">{t}</h1><div class="article-body">{paras}</div>'
                f'<div class="share">شارك على فيسبوك تويتر واتساب</div></article>'
                f'<aside class="related"><h3>اقرأ أيضا</h3><ul>{related}</ul></aside></main>'
                f'<footer>جميع الحقوق محفوظة © تحيا مصر</footer>')
        return _page(f"{t} - تحيا مصر", head, body)
    if site.tpl == "alwasat":
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
                         "datePublished": a.published.isoformat(), "author": {"@type": "Person", "name": "القاهرة - بوابة الوسط"},
                         "publisher": {"@type": "Organization", "name": site.name}}, ensure_ascii=False)
        head = f'<script type="application/ld+json">{ld}</script><meta name="description" content="{html.escape(a.paragraphs[0][:160]) if a.paragraphs else ""}">'
        body = (f'<div id="top"><span>{site.name}</span><ul class="menu"><li>ليبيا</li><li>اقتصاد</li><li>رياضة</li></ul></div>'
                f'<div class="container"><article><h2 class="headline">{t}</h2><div class="entry">{paras}</div></article>'
                f'<div class="sidebar"><h4>الأكثر قراءة</h4><ul>{related}</ul></div></div><div id="foot">© {site.name}</div>')
        return _page(f"{site.name} | {t}", head, body)
    if site.tpl == "youm7":
        # itemprop meta date in local time; rel=canonical without the tracking parameters of the feed
        head = (f'<meta property="og:title" content="{t}"><meta itemprop="datePublished" content="{local.isoformat()}">'
                f'<link rel="canonical" href="{base}{a.path}">')
        body = (f'<div class="header"><a href="/">{site.name}</a><ul class="mainMenu"><li>أخبار عاجلة</li><li>سياسة</li>'
                f'<li>محافظات</li></ul></div><div class="articleCont"><div class="articleHeader"><h1>{t}</h1>'
                f'<span class="newsStoryDate">{local:%Y-%m-%d %H:%M}</span></div>'
                f'<div id="articleBody" class="articleBody">{paras}</div><div class="tags">كلمات البحث: مصر</div></div>'
                f'<div class="latestNews"><h2>آخر الأخبار</h2><ul>{related}</ul></div><div class="footer">© {site.name}</div>')
        return _page(f"{t} - {site.name}", head, body)
    if site.tpl == "masrawy":
        # NO declared charset anywhere (the response is encoded windows-1256, served as plain text/html)
        hour = local.hour % 12 or 12
        line = f"{local.day} {AR_MONTHS[local.month - 1]} {local.year} {hour}:{local.minute:02d} {'ص' if local.hour < 12 else 'م'}"
        return (f'<html dir="rtl"><head><title>{t} | {site.name}</title></head><body>'
                f'<div id="Header"><a href="/">{site.name}</a> | <a href="/news">أخبار</a> | <a href="/sports">رياضة</a></div>'
                f'<div class="ArticleCont"><h1 class="ArticleTitle">{t}</h1><div class="ArticleDate">كتب: محرر مصراوي - {line}</div>'
                f'<div class="ArticleDetails">{paras}</div></div>'
                f'<div class="MoreNews"><b>اقرأ أيضا</b><ul>{related}</ul></div></body></html>')
    if site.tpl == "libyaalahrar":
        ld = json.dumps({"@context": "https://schema.org", "@graph": [
            {"@type": "WebSite", "name": site.name, "url": base + "/"},
            {"@type": "NewsArticle", "headline": a.title, "datePublished": local.isoformat(),
             "author": {"@type": "Person", "name": "فريق التحرير"}, "mainEntityOfPage": base + a.path}]},
            ensure_ascii=False)
        head = (f'<script type="application/ld+json">{ld}</script><link rel="canonical" href="{base}{a.path}">'
                f'<link rel="amphtml" href="{base}{a.amp_path}">')
        body = (f'<header id="masthead"><div class="site-title">{site.name}</div><nav class="main-navigation"><a href="/">الرئيسية</a>'
                f'<a href="/category/libya/">ليبيا</a></nav></header><div id="content"><article class="post">'
                f'<h1 class="entry-title">{t}</h1><div class="entry-meta">{local:%Y-%m-%d}</div>'
                f'<div class="entry-content">{paras}</div></article>'
                f'<aside class="widget"><h3>أحدث المقالات</h3><ul>{related}</ul></aside></div><footer id="colophon">© {site.name}</footer>')
        return _page(f"{t} – {site.name}", head, body)
    if site.tpl == "alrakoba":
        date = f"{local:%d/%m/%Y - %H:%M}".translate(AR_DIGITS)
        body = (f'<div class="top-bar">{site.name} - صحيفة سودانية مستقلة</div><div class="main"><div class="post">'
                f'<h1 class="post-title">{t}</h1><div class="post-meta"><span class="post-date">{date}</span></div>'
                f'<div class="post-content">{paras}</div></div><div class="sidebar"><h4>اخترنا لكم</h4><ul>{related}</ul></div></div>'
                f'<div class="bottom">جميع الحقوق محفوظة لصحيفة {site.name}</div>')
        return _page(f"{t} - {site.name}", "", body)
    if site.tpl == "dabanga":
        ld = json.dumps({"@context": "https://schema.org", "@graph": [
            {"@type": "Organization", "name": site.name},
            {"@type": "NewsArticle", "headline": a.title, "datePublished": a.published.isoformat(),
             "inLanguage": "ar"}]}, ensure_ascii=False)
        head = f'<script type="application/ld+json">{ld}</script><link rel="canonical" href="{base}{a.path}">'
        body = (f'<div class="navbar"><a href="/ar">الرئيسية</a><a href="/ar/all-news">كل الأخبار</a><a href="/ar/about">من نحن</a></div>'
                f'<div class="page-header"><h1>{t}</h1></div><div class="body-text">{paras}</div>'
                f'<div class="block-related"><h2>أخبار ذات صلة</h2><ul>{related}</ul></div>')
        return _page(f"{t} | {site.name}", head, body)
    if site.tpl == "alqudsalarabi":
        head = f'<link rel="canonical" href="{base}{a.path}"><meta property="og:title" content="{t}">'
        body = (f'<header class="site-header"><a class="logo" href="/">{site.name}</a></header><main id="main">'
                f'<article><h1 class="entry-title">{t}</h1><time class="entry-date published" datetime="{a.published.isoformat()}">'
                f'{local:%d %m %Y}</time><div class="entry-content">{paras}</div></article>'
                f'<section class="related-posts"><h2>مقالات ذات صلة</h2><ul>{related}</ul></section></main>')
        return _page(f"{t} | {site.name}", head, body)
    # sudanile: old-style table layout, no JSON-LD, no meta date; date line in Arabic-Indic digits
    body = (f'<table width="100%"><tr><td class="banner">{site.name} - صحيفة إلكترونية</td></tr>'
            f'<tr><td><div class="item-page"><h2 class="contentheading">{t}</h2>'
            f'<div class="createdate">{_arabic_date_line(a.published, site.timezone)}</div>'
            f'<div class="article-content">{paras}</div></div></td>'
            f'<td class="left"><div class="moduletable"><h3>أخبار ذات صلة</h3><ul>{related}</ul></div></td></tr></table>')
    return _page(f"{t} - {site.name}", "", body)


def _rfc822(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    sleep_before_s: float = 0.0  # stall before the status line (a read timeout)
    stall_mid_body_s: float = 0.0  # send half the body, then stall (a timeout while reading)
    conditional: bool = False  # feeds/sitemaps: answer If-None-Match / If-Modified-Since with 304
    etag: bool = True
    last_modified: str | None = None


def _xml(body: str, ctype: str = "application/xml; charset=utf-8", **kw) -> Reply:
    return Reply(200, [("Content-Type", ctype)], body.encode("utf-8"), conditional=True, **kw)


def _html_reply(text: str, status: int = 200) -> Reply:
    return Reply(status, [("Content-Type", "text/html; charset=utf-8")], text.encode("utf-8"))


def _env_default_sites() -> list[SiteSpec]:
    value = os.environ.get("MARSAD_MIRROR_SITES", "").strip()
    if not value:
        return [SITES_BY_ID[i] for i in DEFAULT_SITES]
    if value == "all":
        return list(SITES)
    return [SITES_BY_ID[i.strip()] for i in value.split(",") if i.strip()]


class Mirror:
    """Simulated outlets. ``start()`` serves them in background threads; ``stop()`` ends them.

    ``sites``: None (the default three, or ``$MARSAD_MIRROR_SITES``), ``"all"``, or a list of ids /
    :class:`SiteSpec` (e.g. :func:`bench_sites`). ``faults``: ``{site id: [failure class, …]}`` switches
    (see ``FAULTS``), off by default; :meth:`set_faults` changes them while serving. Outlet n listens on
    ``base_port + n``."""

    def __init__(self, base_port: int = 8700, anchor: datetime | None = None, host: str = "127.0.0.1", *,
                 sites=None, faults: dict[str, list[str]] | None = None, articles_per_site: int | None = None,
                 window_minutes: int = 175, read_timeout_s: float = 5.0, slow_s: float | None = None):
        self.host = host
        self.base_port = base_port
        self.anchor = anchor or datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        if sites is None:
            self.sites = _env_default_sites()
        elif sites == "all":
            self.sites = list(SITES)
        else:
            self.sites = [SITES_BY_ID[x] if isinstance(x, str) else x for x in sites]
        self._by_id = {s.id: s for s in self.sites}
        self.articles = load_articles(self.anchor, self.sites, articles_per_site, window_minutes)
        self.clock = lambda: max(datetime.now(timezone.utc), self.anchor)
        self._servers: list[ThreadingHTTPServer] = []
        self.requests: list[tuple[str, str]] = []  # (site, path) of every request, for tests
        self._lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}  # per site: most requests served at once (politeness tests)
        self.faults: dict[str, set[str]] = {}
        for sid, classes in (faults or {}).items():
            self.set_faults(sid, classes)
        self.read_timeout_s = read_timeout_s
        self.slow_s = slow_s if slow_s is not None else read_timeout_s + 1.0
        # a port that is bound but never listens: connections to it are refused (the `connect` fault)
        self._dead = socket.socket()
        self._dead.bind((host, 0))
        self.dead_port = self._dead.getsockname()[1]
        seed_file = MIRROR_DIR / "tahyamisr" / "seed_article.html"
        self.seed_html = seed_file.read_bytes() if seed_file.exists() else None
        self._articles_by_site: dict[str, list[MirrorArticle]] = {}
        for a in self.articles:
            self._articles_by_site.setdefault(a.site, []).append(a)

    @property
    def site_ids(self) -> list[str]:
        return [s.id for s in self.sites]

    def set_faults(self, site_id: str, classes) -> None:
        unknown = set(classes) - set(FAULTS)
        if unknown or site_id not in self._by_id:
            raise ValueError(f"unknown fault(s) {sorted(unknown)} or site {site_id!r}; faults: {', '.join(FAULTS)}")
        self.faults[site_id] = set(classes)

    def base_url(self, site_id: str) -> str:
        idx = self.site_ids.index(site_id)
        return f"http://{self.host}:{self.base_port + idx + 1}"

    def _discovery(self, s: SiteSpec, base: str) -> list[dict]:
        if s.tpl == "tahyamisr":
            entries = [{"type": "rss", "url": f"{base}/rss.xml"}]
        elif s.tpl == "alwasat":
            entries = [{"type": "sitemap", "url": f"{base}/sitemap.xml"}]
        elif s.tpl == "sudanile":
            entries = [{"type": "listing", "url": f"{base}/index.php/latest", "link_selector": "a.story-link"}]
        elif s.tpl == "youm7":
            entries = [{"type": "jsonfeed", "url": f"{base}/feed.json"}]
        elif s.tpl == "masrawy":
            entries = [{"type": "rss", "url": f"{base}/rss.rdf"}]
        elif s.tpl == "libyaalahrar":
            entries = [{"type": "atom", "url": f"{base}/feed/atom/"},
                       {"type": "listing", "url": f"{base}/latest/", "link_selector": "h2.entry-title a"}]
        elif s.tpl == "alrakoba":
            entries = [{"type": "sitemap", "url": f"{base}/post-sitemap.xml"}]
        elif s.tpl == "dabanga":
            entries = [{"type": "listing", "url": f"{base}/ar/all-news", "link_selector": "div.list-item h3 a"}]
        else:  # alqudsalarabi
            entries = [{"type": "rss", "url": f"{base}/feed/"}, {"type": "sitemap", "url": f"{base}/news-sitemap.xml"}]
        if "private_address" in self.faults.get(s.id, ()):
            entries.append({"type": "rss", "url": PRIVATE_FEED})
        return entries

    def outlets_config(self) -> dict:
        """An outlets file (as a dict) pointing at this mirror; politeness delay 0, loopback allowed."""
        outlets = []
        for s in self.sites:
            base = self.base_url(s.id)
            o = {"id": s.id, "name": s.name, "country": s.country, "timezone": s.timezone, "language": "ar",
                 "discovery": self._discovery(s, base), "note": "simulated outlet of the Marsad mirror"}
            if s.tpl == "masrawy":
                o["extraction"] = {"title": "h1.ArticleTitle", "body": "div.ArticleDetails", "date": "div.ArticleDate"}
            outlets.append(o)
        hosts = [f"{self.host}:{self.base_port + i + 1}" for i in range(len(self.sites))]
        return {"version": 1, "settings": {"delay_s": 0, "retries": 1, "backoff_s": 0.05,
                                           "connect_timeout_s": 2.0, "read_timeout_s": self.read_timeout_s,
                                           "max_bytes": 2_000_000,
                                           "allow_private_hosts": hosts + [f"{self.host}:{self.dead_port}"],
                                           "user_agent": "MarsadBot/0.1 (mirror test)"},
                "outlets": outlets}

    def write_outlets_config(self, path: Path) -> Path:
        import yaml

        path.write_text("# generated by `marsad mirror serve`; outlets of the local mirror\n"
                        + yaml.safe_dump(self.outlets_config(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def visible(self, site_id: str) -> list[MirrorArticle]:
        now = self.clock()
        return sorted((a for a in self._articles_by_site.get(site_id, ()) if a.published <= now),
                      key=lambda a: a.published, reverse=True)

    def _items(self, site: SiteSpec, base: str, arts: list[MirrorArticle]) -> list[tuple[str, str, datetime]]:
        """(title, absolute url, published) of what the outlet's discovery lists, fault articles included."""
        items = [(a.title, f"{base}{a.path}", a.published) for a in arts]
        when = self.anchor - timedelta(minutes=150)
        for fc in sorted(self.faults.get(site.id, ())):
            items += [(f"خبر تجريبي ({fc})", f"{base}{fp}", when) for fp in FAULTS[fc]]
        return items

    # -- responses ---------------------------------------------------------------------------
    def respond(self, site: SiteSpec, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a plain GET (compatibility helper for tests)."""
        r = self.reply(site, path, "")
        return r.status, dict(r.headers).get("Content-Type", ""), r.body

    def reply(self, site: SiteSpec, path: str, query: str = "") -> Reply:
        base = self.base_url(site.id)
        arts = self.visible(site.id)
        tpl = site.tpl
        if path == "/robots.txt":
            lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /fault/blocked_by_robots/"]
            if tpl in ("alwasat", "alrakoba", "alqudsalarabi"):
                lines.append(f"Sitemap: {base}/{'sitemap.xml' if tpl == 'alwasat' else 'post-sitemap.xml' if tpl == 'alrakoba' else 'news-sitemap.xml'}")
            return Reply(200, [("Content-Type", "text/plain")], ("\n".join(lines) + "\n").encode())
        if path.startswith("/fault/"):
            return self._fault(site, path)
        items = self._items(site, base, arts)
        if tpl == "tahyamisr" and path == "/rss.xml":
            rss_items = [(t, f"{u}?utm_source=rss&utm_medium=feed" if "/fault/" not in u else u, d) for t, u, d in items]
            if site.id == "tahyamisr":
                rss_items.append(("خبر محذوف", f"{base}{GONE_PATH}", self.anchor - timedelta(minutes=170)))
                if self.seed_html is not None:
                    rss_items.append(("رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي.. ماذا دار في الاجتماع؟",
                                      f"{base}{SEED_PATH}", SEED_PUBLISHED))
            xml = "".join(f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link><pubDate>{_rfc822(d)}</pubDate></item>"
                          for t, u, d in rss_items)
            return _xml(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{site.name}</title>'
                        f"<link>{base}/</link>{xml}</channel></rss>", "application/rss+xml; charset=utf-8")
        if tpl == "tahyamisr" and site.id == "tahyamisr" and self.seed_html is not None and _unquote(path) == SEED_PATH:
            return Reply(200, [("Content-Type", "text/html; charset=utf-8")], self.seed_html)
        if tpl == "alwasat" and path == "/sitemap.xml":
            return _xml('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>{self.clock().isoformat()}</lastmod></sitemap></sitemapindex>")
        if (tpl == "alwasat" and path == "/sitemap-news.xml") or (tpl == "alqudsalarabi" and path == "/news-sitemap.xml"):
            urls = "".join(
                f"<url><loc>{html.escape(u)}</loc><news:news><news:publication><news:name>{site.name}</news:name><news:language>ar</news:language>"
                f"</news:publication><news:publication_date>{d.isoformat()}</news:publication_date>"
                f"<news:title>{html.escape(t)}</news:title></news:news></url>" for t, u, d in items)
            return _xml('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')
        if tpl == "sudanile" and path == "/index.php/latest":
            links = "".join(f'<li><a class="story-link" href="{html.escape(u[len(base):])}">{html.escape(t)}</a></li>' for t, u, _ in items)
            nav = '<a href="/index.php/about">من نحن</a><a href="/index.php/contact">اتصل بنا</a>'
            return _html_reply(_page(site.name, "", f"<div>{nav}</div><ul>{links}</ul>"))
        if tpl == "youm7" and path == "/feed.json":
            feed = {"version": "https://jsonfeed.org/version/1.1", "title": site.name, "home_page_url": base + "/",
                    "items": [{"id": u, "url": f"{u}?utm_source=jsonfeed&utm_medium=feed&fbclid=IwAR0x" if "/fault/" not in u else u,
                               "title": t, "date_published": d.isoformat()} for t, u, d in items]}
            return Reply(200, [("Content-Type", "application/feed+json")],
                         json.dumps(feed, ensure_ascii=False).encode(), conditional=True)
        if tpl == "masrawy" and path == "/rss.rdf":
            lm = _rfc822(max((d for _, _, d in items), default=self.anchor)).replace("+0000", "GMT")
            lis = "".join(f'<rdf:li rdf:resource="{html.escape(u)}"/>' for _, u, _ in items)
            xml = "".join(f'<item rdf:about="{html.escape(u)}"><title>{html.escape(t)}</title><link>{html.escape(u)}</link>'
                          f"<dc:date>{d.isoformat()}</dc:date></item>" for t, u, d in items)
            return _xml('<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                        f'<channel rdf:about="{base}/rss.rdf"><title>{site.name}</title><link>{base}/</link>'
                        f"<items><rdf:Seq>{lis}</rdf:Seq></items></channel>{xml}</rdf:RDF>", "application/rdf+xml",
                        etag=False, last_modified=lm)
        if tpl == "libyaalahrar" and path == "/feed/atom/":
            entries = "".join(
                f'<entry><title>{html.escape(t)}</title><link rel="alternate" href="{html.escape(_amp(u, base))}"/>'
                f"<id>{html.escape(u)}</id><updated>{d.isoformat()}</updated><published>{d.isoformat()}</published></entry>"
                for t, u, d in items)
            return _xml(f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{site.name}</title>'
                        f'<id>{base}/</id><updated>{self.anchor.isoformat()}</updated>{entries}</feed>', "application/atom+xml")
        if tpl == "libyaalahrar" and path == "/latest/":
            links = "".join(f'<article><h2 class="entry-title"><a href="{html.escape(u)}#respond">{html.escape(t)}</a></h2></article>'
                            for t, u, _ in items)
            return _html_reply(_page(site.name, "", f'<nav><a href="/">الرئيسية</a><a href="/category/libya/">ليبيا</a></nav>{links}'))
        if tpl == "alrakoba" and path == "/post-sitemap.xml":
            urls = "".join(f"<url><loc>{html.escape(u)}</loc><lastmod>{d.isoformat()}</lastmod></url>" for _, u, d in items)
            return _xml('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"{urls}</urlset>", etag=False)
        if tpl == "dabanga" and path == "/ar/all-news":
            links = "".join(f'<div class="list-item"><h3><a href="{html.escape(u[len(base):])}">{html.escape(t)}</a></h3>'
                            f'<a class="more" href="/ar/about">المزيد</a></div>' for t, u, _ in items)
            return _html_reply(_page(site.name, "", f'<div class="navbar"><a href="/ar/about">من نحن</a></div>{links}'))
        if tpl == "alqudsalarabi" and path == "/feed/":
            xml = "".join(f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}{'&amp;utm_campaign=rss' if '?' in u else ''}"
                          f"</link><pubDate>{_rfc822(d)}</pubDate></item>" for t, u, d in items)
            return _xml(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{site.name}</title>'
                        f"<link>{base}/</link>{xml}</channel></rss>", "application/rss+xml; charset=utf-8")
        wanted = path + (f"?{query}" if query and tpl == "alqudsalarabi" else "")
        for a in arts:
            if a.path == wanted or (tpl == "libyaalahrar" and a.amp_path == path):
                others = [o for o in arts if o is not a]
                page = render_article(site, a, base, others)
                if tpl == "libyaalahrar" and a.amp_path == path:
                    page = page.replace('<html lang="ar"', '<html amp lang="ar"', 1)
                if tpl == "masrawy":
                    return Reply(200, [("Content-Type", "text/html")], page.encode("cp1256", errors="xmlcharrefreplace"))
                return _html_reply(page)
        return _html_reply(_page("404", "", "<h1>الصفحة غير موجودة</h1>"), 404)

    def _fault(self, site: SiteSpec, path: str) -> Reply:
        """The fault article pages (only linked from discovery when the site's fault switch is on)."""
        parts = path.strip("/").split("/")
        fc, variant = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
        base = self.base_url(site.id)
        html_ct = [("Content-Type", "text/html; charset=utf-8")]
        if fc == "dns":
            return Reply(302, [("Location", f"http://{site.id.replace('_', '-')}.{DEAD_HOST_SUFFIX}/story/1")])
        if fc == "connect":
            return Reply(302, [("Location", f"http://{self.host}:{self.dead_port}/story/1")])
        if fc == "timeout" and variant == "headers":
            return Reply(200, html_ct, _page("بطيء", "", "<p>متأخر</p>").encode(), sleep_before_s=self.slow_s)
        if fc == "timeout":
            return Reply(200, html_ct, _page("بطيء", "", "<p>" + "متأخر " * 2000 + "</p>").encode(), stall_mid_body_s=self.slow_s)
        if fc == "http_4xx" and variant == "429":
            return Reply(429, html_ct + [("Retry-After", "0")], b"slow down")
        if fc == "http_4xx":
            return Reply(410, html_ct, _page("410", "", "<h1>حذف</h1>").encode())
        if fc == "http_5xx":
            return Reply(503, html_ct + [("Retry-After", "0")], b"maintenance")
        if fc == "too_large" and variant == "gzip":
            return Reply(200, html_ct + [("Content-Encoding", "gzip")], gzip.compress(b"<p>" + b"a" * 3_000_000, 9))
        if fc == "too_large":
            return Reply(200, html_ct, b"<html><body><p>" + "نص ".encode() * 600_000 + b"</p></body></html>")
        if fc == "bad_encoding":
            junk = bytes((i * 37 + 11) % 256 for i in range(6000)).replace(b"<", b"").replace(b">", b"")
            return Reply(200, [("Content-Type", "text/html")], b"<html><body><p>" + junk + b"</p></body></html>")
        if fc == "not_html" and variant == "pdf":
            return Reply(200, [("Content-Type", "application/pdf")], b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
        if fc == "not_html":
            return Reply(200, html_ct, b"%PDF-1.7\n" + bytes(range(256)) * 4)
        if fc == "redirect_refused" and variant == "scheme":
            return Reply(302, [("Location", "file:///etc/passwd")])
        if fc == "redirect_refused":
            return Reply(302, [("Location", LINK_LOCAL_TARGET)])
        if fc == "too_many_redirects":
            n = int(variant or 0) + 1
            return Reply(302, [("Location", f"{base}/fault/too_many_redirects/{n}")])
        if fc == "blocked_by_robots":  # only reached by a crawler that ignores robots.txt
            return _html_reply(_page("ممنوع", "", "<p>robots.txt disallows this page</p>"))
        return _html_reply(_page("404", "", "<h1>الصفحة غير موجودة</h1>"), 404)

    # -- serving -----------------------------------------------------------------------------
    def start(self) -> "Mirror":
        for i, site in enumerate(self.sites):
            server = ThreadingHTTPServer((self.host, self.base_port + i + 1), _handler(self, site))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"mirror-{site.id}",
                             daemon=True).start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()
        self._servers.clear()
        self._dead.close()

    def __enter__(self) -> "Mirror":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _amp(url: str, base: str) -> str:
    """The AMP spelling of an article URL, with the tracking parameters such feeds carry."""
    if "/fault/" in url:
        return url
    return (url + "amp/" if url.endswith("/") else url + "/amp") + "?utm_source=atom&utm_medium=amp"


def _unquote(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


def _handler(mirror: Mirror, site: SiteSpec):
    class Handler(BaseHTTPRequestHandler):
        server_version = "MarsadMirror/0.2"
        protocol_version = "HTTP/1.0"

        def do_GET(self):  # noqa: N802 (http.server API)
            parts = urlsplit(self.path)
            path = parts.path
            with mirror._lock:
                mirror.requests.append((site.id, path))
                mirror.in_flight[site.id] = mirror.in_flight.get(site.id, 0) + 1
                mirror.max_in_flight[site.id] = max(mirror.max_in_flight.get(site.id, 0), mirror.in_flight[site.id])
            try:
                self._serve(mirror.reply(site, path, parts.query))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler hung up (size cap, timeout): expected for fault pages
            finally:
                with mirror._lock:
                    mirror.in_flight[site.id] -= 1

        def _serve(self, r: Reply):
            headers = list(r.headers)
            if r.conditional:
                if r.etag:
                    etag = '"' + hashlib.sha1(r.body).hexdigest()[:20] + '"'
                    headers.append(("ETag", etag))
                    if self.headers.get("If-None-Match") == etag:
                        return self._send(304, headers, b"")
                if r.last_modified:
                    headers.append(("Last-Modified", r.last_modified))
                    if self.headers.get("If-Modified-Since") == r.last_modified:
                        return self._send(304, headers, b"")
            if r.sleep_before_s:
                time.sleep(r.sleep_before_s)
            if r.stall_mid_body_s:
                self.send_response(r.status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.body)))
                self.end_headers()
                self.wfile.write(r.body[: len(r.body) // 2])
                self.wfile.flush()
                time.sleep(r.stall_mid_body_s)
                self.wfile.write(r.body[len(r.body) // 2:])
                return
            self._send(r.status, headers, r.body)

        def _send(self, status, headers, body):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, fmt, *args):  # keep test output quiet
            pass

    return Handler


def free_port_base(count: int) -> int:
    """A base port p such that p+1 … p+count are free on 127.0.0.1 (mirror outlet n listens on p+n)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count > 64000:
            continue
        socks = []
        try:
            for i in range(1, count + 1):
                sk = socket.socket()
                sk.bind(("127.0.0.1", base + i))
                socks.append(sk)
            return base
        except OSError:
            continue
        finally:
            for sk in socks:
                sk.close()
    raise RuntimeError("no free port range on 127.0.0.1")
