"""The outlet mirror: simulated Arabic outlets on 127.0.0.1 for the demo and the tests.

Each outlet listens on its own port (base port + n), so per-host politeness and same-site
filtering behave as with real outlets. Every outlet has its own HTML template and discovery method:

- ``tahyamisr``  (EG)  RSS 2.0 feed; OpenGraph/article:* meta dates; serves the seed article page
- ``alwasat``    (LY)  news sitemap announced in robots.txt via a sitemap index; JSON-LD NewsArticle
- ``sudanile``   (SD)  listing page only; no JSON-LD, no meta date: the date is an Arabic date line

Articles come from ``seeds/mirror/articles.jsonl`` (real texts) with publication times spread over
the three hours before the mirror's ``anchor`` (default: the current hour), so a crawl of each of the
last three hours finds new articles. Only articles published before the mirror's clock are listed.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass
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
    discovery: str  # rss | sitemap | listing


SITES = (
    SiteSpec("tahyamisr", "تحيا مصر", "EG", "Africa/Cairo", "rss"),
    SiteSpec("alwasat", "بوابة الوسط", "LY", "Africa/Tripoli", "sitemap"),
    SiteSpec("sudanile", "سودانايل", "SD", "Africa/Khartoum", "listing"),
)


@dataclass(frozen=True)
class MirrorArticle:
    site: str
    num: int
    title: str
    paragraphs: tuple[str, ...]
    published: datetime

    @property
    def path(self) -> str:
        return f"/News/{self.num}/story" if self.site == "tahyamisr" else (
            f"/news/{self.published:%Y/%m/%d}/{self.num}" if self.site == "alwasat" else f"/index.php/articles/{self.num}")


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


def load_articles(anchor: datetime) -> list[MirrorArticle]:
    """Distribute the mirror corpus over the sites, published in the 3 hours before ``anchor``;
    sudanile also carries one Persian article (a page that must end in quarantine)."""
    rows = [json.loads(line) for line in (MIRROR_DIR / "articles.jsonl").read_text(encoding="utf-8").splitlines() if line]
    out = []
    for i, r in enumerate(rows):
        site = SITES[i % len(SITES)].id
        minutes = 175 - (i * 173 // max(1, len(rows) - 1))  # spread over ]anchor-3h, anchor-2min]
        paragraphs = tuple(p.strip() for p in r["text"].split("\n") if p.strip())
        out.append(MirrorArticle(site, 2000 + i, r["title"], paragraphs, anchor - timedelta(minutes=minutes)))
    out.append(MirrorArticle("sudanile", 2999, PERSIAN_TITLE, tuple(PERSIAN_TEXT.split("\n")), anchor - timedelta(minutes=150)))
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
    if site.id == "tahyamisr":
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
    if site.id == "alwasat":
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
                         "datePublished": a.published.isoformat(), "author": {"@type": "Person", "name": "القاهرة - بوابة الوسط"},
                         "publisher": {"@type": "Organization", "name": site.name}}, ensure_ascii=False)
        head = f'<script type="application/ld+json">{ld}</script><meta name="description" content="{html.escape(a.paragraphs[0][:160]) if a.paragraphs else ""}">'
        body = (f'<div id="top"><span>{site.name}</span><ul class="menu"><li>ليبيا</li><li>اقتصاد</li><li>رياضة</li></ul></div>'
                f'<div class="container"><article><h2 class="headline">{t}</h2><div class="entry">{paras}</div></article>'
                f'<div class="sidebar"><h4>الأكثر قراءة</h4><ul>{related}</ul></div></div><div id="foot">© {site.name}</div>')
        return _page(f"{site.name} | {t}", head, body)
    # sudanile: old-style table layout, no JSON-LD, no meta date; date line in Arabic-Indic digits
    body = (f'<table width="100%"><tr><td class="banner">{site.name} - صحيفة إلكترونية</td></tr>'
            f'<tr><td><div class="item-page"><h2 class="contentheading">{t}</h2>'
            f'<div class="createdate">{_arabic_date_line(a.published, site.timezone)}</div>'
            f'<div class="article-content">{paras}</div></div></td>'
            f'<td class="left"><div class="moduletable"><h3>أخبار ذات صلة</h3><ul>{related}</ul></div></td></tr></table>')
    return _page(f"{t} - {site.name}", "", body)


def _rfc822(dt: datetime) -> str:
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


class Mirror:
    """All simulated outlets. ``start()`` serves them in background threads; ``stop()`` ends them."""

    def __init__(self, base_port: int = 8700, anchor: datetime | None = None, host: str = "127.0.0.1"):
        self.host = host
        self.base_port = base_port
        self.anchor = anchor or datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        self.articles = load_articles(self.anchor)
        self.clock = lambda: max(datetime.now(timezone.utc), self.anchor)
        self._servers: list[ThreadingHTTPServer] = []
        self.requests: list[tuple[str, str]] = []  # (site, path) of every request, for tests
        seed_file = MIRROR_DIR / "tahyamisr" / "seed_article.html"
        self.seed_html = seed_file.read_bytes() if seed_file.exists() else None

    def base_url(self, site_id: str) -> str:
        idx = [s.id for s in SITES].index(site_id)
        return f"http://{self.host}:{self.base_port + idx + 1}"

    def outlets_config(self) -> dict:
        """An outlets file (as a dict) pointing at this mirror; politeness delay 0, loopback allowed."""
        outlets = []
        for s in SITES:
            base = self.base_url(s.id)
            disc = {"rss": [{"type": "rss", "url": f"{base}/rss.xml"}],
                    "sitemap": [{"type": "sitemap", "url": f"{base}/sitemap.xml"}],
                    "listing": [{"type": "listing", "url": f"{base}/index.php/latest", "link_selector": "a.story-link"}]}[s.discovery]
            outlets.append({"id": s.id, "name": s.name, "country": s.country, "timezone": s.timezone, "language": "ar",
                            "discovery": disc, "note": "simulated outlet of the Marsad mirror"})
        return {"version": 1, "settings": {"delay_s": 0, "retries": 1, "backoff_s": 0.05,
                                           "allow_private_hosts": [f"{self.host}:{self.base_port + i + 1}" for i in range(len(SITES))],
                                           "user_agent": "MarsadBot/0.1 (mirror test)"},
                "outlets": outlets}

    def write_outlets_config(self, path: Path) -> Path:
        import yaml

        path.write_text("# generated by `marsad mirror serve`; outlets of the local mirror\n"
                        + yaml.safe_dump(self.outlets_config(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def visible(self, site_id: str) -> list[MirrorArticle]:
        now = self.clock()
        return sorted((a for a in self.articles if a.site == site_id and a.published <= now),
                      key=lambda a: a.published, reverse=True)

    # -- responses ---------------------------------------------------------------------------
    def respond(self, site: SiteSpec, path: str) -> tuple[int, str, bytes]:
        base = self.base_url(site.id)
        arts = self.visible(site.id)
        if path == "/robots.txt":
            lines = ["User-agent: *", "Disallow: /admin/"]
            if site.discovery == "sitemap":
                lines.append(f"Sitemap: {base}/sitemap.xml")
            return 200, "text/plain", ("\n".join(lines) + "\n").encode()
        if site.id == "tahyamisr" and path == "/rss.xml":
            items = [(a.title, f"{base}{a.path}?utm_source=rss&utm_medium=feed", a.published) for a in arts]
            items.append(("خبر محذوف", f"{base}{GONE_PATH}", self.anchor - timedelta(minutes=170)))
            if self.seed_html is not None:
                items.append(("رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي.. ماذا دار في الاجتماع؟",
                              f"{base}{SEED_PATH}", SEED_PUBLISHED))
            xml = "".join(f"<item><title>{html.escape(t)}</title><link>{html.escape(u)}</link><pubDate>{_rfc822(d)}</pubDate></item>"
                          for t, u, d in items)
            return 200, "application/rss+xml; charset=utf-8", (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{site.name}</title>'
                f"<link>{base}/</link>{xml}</channel></rss>").encode()
        if site.id == "tahyamisr" and self.seed_html is not None and _unquote(path) == SEED_PATH:
            return 200, "text/html; charset=utf-8", self.seed_html
        if site.id == "alwasat" and path == "/sitemap.xml":
            return 200, "application/xml", (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>{self.clock().isoformat()}</lastmod></sitemap></sitemapindex>").encode()
        if site.id == "alwasat" and path == "/sitemap-news.xml":
            urls = "".join(
                f"<url><loc>{base}{a.path}</loc><news:news><news:publication><news:name>{site.name}</news:name><news:language>ar</news:language>"
                f"</news:publication><news:publication_date>{a.published.isoformat()}</news:publication_date>"
                f"<news:title>{html.escape(a.title)}</news:title></news:news></url>" for a in arts)
            return 200, "application/xml", (
                '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>').encode()
        if site.id == "sudanile" and path == "/index.php/latest":
            links = "".join(f'<li><a class="story-link" href="{a.path}">{html.escape(a.title)}</a></li>' for a in arts)
            nav = '<a href="/index.php/about">من نحن</a><a href="/index.php/contact">اتصل بنا</a>'
            return 200, "text/html; charset=utf-8", _page(site.name, "", f"<div>{nav}</div><ul>{links}</ul>").encode()
        for a in arts:
            if a.path == path:
                others = [o for o in arts if o is not a]
                return 200, "text/html; charset=utf-8", render_article(site, a, base, others).encode()
        return 404, "text/html; charset=utf-8", _page("404", "", "<h1>الصفحة غير موجودة</h1>").encode()

    # -- serving -----------------------------------------------------------------------------
    def start(self) -> "Mirror":
        for i, site in enumerate(SITES):
            server = ThreadingHTTPServer((self.host, self.base_port + i + 1), _handler(self, site))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, name=f"mirror-{site.id}", daemon=True).start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
            s.server_close()
        self._servers.clear()

    def __enter__(self) -> "Mirror":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _unquote(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


def _handler(mirror: Mirror, site: SiteSpec):
    class Handler(BaseHTTPRequestHandler):
        server_version = "MarsadMirror/0.1"

        def do_GET(self):  # noqa: N802 (http.server API)
            path = urlsplit(self.path).path
            mirror.requests.append((site.id, path))
            status, ctype, body = mirror.respond(site, path)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # keep test output quiet
            pass

    return Handler
