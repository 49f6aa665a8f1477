"""Discovery: article URLs from feeds (RSS/Atom via feedparser, JSON Feed), news sitemaps and
sitemap indexes (also those announced in robots.txt), and listing pages (CSS selectors)."""

from __future__ import annotations

import calendar
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser
from dateutil import parser as dateparser
from lxml import etree, html as lxml_html

from marsad.crawl.urls import canonical_url, same_site

log = logging.getLogger(__name__)
MAX_CHILD_SITEMAPS = 5
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Candidate:
    url: str  # as found
    canonical: str
    published: datetime | None  # date given by the feed/sitemap, UTC
    via: str  # rss | sitemap | listing | ...


class DiscoveryError(ValueError):
    pass


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _utc(dateparser.isoparse(value))
    except (ValueError, OverflowError):
        try:
            return _utc(dateparser.parse(value))
        except (ValueError, OverflowError):
            return None


def _candidate(url: str, base: str, published: datetime | None, via: str,
               sites: tuple[str, ...] | list[str] = ()) -> Candidate | None:
    """A candidate when the URL belongs to the outlet: the site of the feed/sitemap/listing itself or
    one of ``sites`` (the outlet's other discovery URLs, e.g. a feed host serving www articles)."""
    absolute = urljoin(base, url.strip())
    if not (same_site(absolute, base) or any(same_site(absolute, s) for s in sites)):
        return None
    return Candidate(url=absolute, canonical=canonical_url(absolute), published=published, via=via)


def parse_feed(body: bytes, base_url: str, sites: tuple[str, ...] | list[str] = ()) -> list[Candidate]:
    """RSS 0.9x/1.0/2.0 and Atom through feedparser; JSON Feed (1.0/1.1) through json."""
    head = body.lstrip()[:1]
    if head == b"{":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise DiscoveryError(f"feed {base_url}: invalid JSON Feed: {exc}") from None
        out = []
        for item in data.get("items", []):
            link = item.get("url") or item.get("external_url")
            if link and (c := _candidate(link, base_url, _parse_date(item.get("date_published")), "jsonfeed", sites)):
                out.append(c)
        return out
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS/Atom root element"
        raise DiscoveryError(f"feed {base_url}: not a readable feed ({reason})")
    out = []
    for e in parsed.entries:
        link = e.get("link")
        if not link:
            continue
        st = e.get("published_parsed") or e.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(st), timezone.utc) if st else None
        if c := _candidate(link, base_url, published, "feed", sites):
            out.append(c)
    return out


def parse_sitemap(body: bytes, base_url: str, sites: tuple[str, ...] | list[str] = ()) -> tuple[list[Candidate], list[str]]:
    """A urlset gives candidates (news:publication_date, else lastmod); a sitemapindex gives the
    child sitemap URLs, newest first. A gzipped sitemap file (``.xml.gz``) is inflated up to the
    protocol's 50 MB limit."""
    if body[:2] == b"\x1f\x8b":
        import zlib

        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body = inflater.decompress(body, MAX_SITEMAP_BYTES + 1)
        if len(body) > MAX_SITEMAP_BYTES:
            raise DiscoveryError(f"sitemap {base_url}: larger than {MAX_SITEMAP_BYTES} bytes once decompressed")
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"sitemap {base_url}: not XML ({exc})") from None
    if root is None:
        raise DiscoveryError(f"sitemap {base_url}: empty document")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        children = []
        for sm in root:
            loc = lastmod = None
            for el in sm:
                name = etree.QName(el).localname
                if name == "loc":
                    loc = (el.text or "").strip()
                elif name == "lastmod":
                    lastmod = _parse_date((el.text or "").strip())
            if loc:
                children.append((lastmod or datetime.min.replace(tzinfo=timezone.utc), loc))
        children.sort(reverse=True)
        return [], [loc for _, loc in children[:MAX_CHILD_SITEMAPS]]
    if tag != "urlset":
        raise DiscoveryError(f"sitemap {base_url}: root element is <{tag}>, expected <urlset> or <sitemapindex>")
    out = []
    for u in root:
        loc = None
        published = lastmod = None
        for el in u.iter():
            name = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if name == "loc" and loc is None:
                loc = (el.text or "").strip()
            elif name == "publication_date":
                published = _parse_date((el.text or "").strip())
            elif name == "lastmod":
                lastmod = _parse_date((el.text or "").strip())
        if loc and (c := _candidate(loc, base_url, published or lastmod, "sitemap", sites)):
            out.append(c)
    return out, []


def parse_listing(body: bytes, base_url: str, link_selector: str | None,
                  sites: tuple[str, ...] | list[str] = ()) -> list[Candidate]:
    try:
        doc = lxml_html.fromstring(body)
    except (etree.ParserError, ValueError) as exc:
        raise DiscoveryError(f"listing {base_url}: not HTML ({exc})") from None
    selector = link_selector or "a[href]"
    out, seen = [], set()
    for a in doc.cssselect(selector):
        href = a.get("href") if a.tag == "a" else next((x.get("href") for x in a.iter("a") if x.get("href")), None)
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        c = _candidate(href, base_url, None, "listing", sites)
        if c and c.canonical not in seen:
            seen.add(c.canonical)
            out.append(c)
    return out
