"""Article extraction: one HTML parse per page, a cascade of extractors per field.

Cascade (first that yields a plausible value wins; ``extraction_method`` records which one did):

=========  ==========================================================================================
title      JSON-LD headline → meta (og:title, twitter:title, dc.title) → outlet selector → generic (h1,
           <title>); the outlet suffix/prefix is removed and, when an <h1> says the same thing, its
           (more faithful) text is used
lead       JSON-LD description → meta (og:description, description, dc.description)
body       JSON-LD articleBody when the HTML gives clearly less → outlet selector → generic (a fast
           readability-style container scorer + Arabic boilerplate rules) → trafilatura (fallback)
author     JSON-LD author → meta (author, article:author, dc.creator, …) → outlet selector → generic
date       JSON-LD datePublished → meta (article:published_time, itemprop=datePublished, dc.date, …) →
           outlet selector / the article's own date line near the title (``date_source=text``) → URL →
           feed → fetched; a candidate later than fetched_at (or now) + 15 min is rejected
language   declared (<html lang>, content-language, dc.language, og:locale, JSON-LD inLanguage) and
           detected with lingua on a bounded sample of the body
=========  ==========================================================================================

``extract_article`` never raises for bad input: an empty, binary, oversized or unparseable page gives
an ``ExtractedArticle`` with ``error`` set.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timezone as dt_timezone
from functools import lru_cache

from lxml import etree

from marsad.extract.boilerplate import (
    BLOCK_TAGS,
    SKIP_TAGS,
    Line,
    filter_lines,
    is_boilerplate_element,
    looks_like_date_line,
    strip_title_suffix,
)
from marsad.extract.dates import (
    date_from_url,
    is_plausible,
    parse_arabic_date,
    parse_structured_date,
)
from marsad.extract.language import detect_language, normalise_language_code
from marsad.text.arabic import clean_display, normalize_for_match

UTC = dt_timezone.utc

#: pages larger than this are refused (raw bytes)
MAX_PAGE_BYTES = 10 * 1024 * 1024
#: a body shorter than this (characters) from the generic extractor triggers the trafilatura fallback
MIN_BODY_CHARS = 120
#: a body with fewer words is treated as no body at all
MIN_BODY_WORDS = 6

DATE_SOURCES = ("jsonld", "meta", "text", "url", "feed", "fetched")


@dataclass
class ExtractedArticle:
    title: str | None
    lead: str | None
    body: str
    author: str | None
    published_at: datetime | None
    date_source: str | None
    language: str | None
    language_declared: str | None
    canonical_url: str | None
    extraction_method: str
    error: str | None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["published_at"] = self.published_at.isoformat() if self.published_at else None
        return d

    @classmethod
    def failed(cls, error: str) -> "ExtractedArticle":
        return cls(None, None, "", None, None, None, None, None, None, "", error)


# ---------------------------------------------------------------------------------------------
# Input checks and decoding
_MAGIC = (
    (b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"GIF8", "gif"), (b"\xff\xd8\xff", "jpeg"), (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"), (b"RIFF", "riff"), (b"\x00\x00\x01\x00", "ico"), (b"wOFF", "woff"), (b"OggS", "ogg"),
    (b"ID3", "mp3"), (b"\x7fELF", "elf"), (b"BZh", "bzip2"), (b"\xfd7zXZ", "xz"), (b"7z\xbc\xaf", "7z"),
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL_RE = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _binary_kind(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" in head:
        return "data"
    if len(_CONTROL_RE.findall(head)) > len(head) * 0.05:
        return "data"
    return None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used). Order: BOM, caller's encoding, valid UTF-8, <meta charset>, a detector,
    windows-1256 (the legacy Arabic code page)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    enc = _codec(encoding)
    if enc:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET_RE.search(data[:4096])
    declared = _codec(m.group(1).decode("ascii", "ignore")) if m else None
    if declared and declared not in ("utf-8", "ascii"):
        if declared in ("latin-1", "iso8859-1", "cp1252"):
            # pages mislabelled as Latin-1 are usually windows-1256 in the Arab world
            text = data.decode("cp1256", errors="replace")
            return text, "cp1256"
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            return data.decode(declared, errors="replace"), declared
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, errors="replace"), best.encoding
    except Exception:  # detector trouble: fall through to the Arabic default
        pass
    return data.decode("cp1256", errors="replace"), "cp1256"


_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True,
                           recover=True, default_doctype=False, huge_tree=False, collect_ids=False)


# ---------------------------------------------------------------------------------------------
# Small helpers
_WS_RE = re.compile(r"\s+")
_STRIP_TAGS = ("script", "style", "noscript", "iframe", "svg", "template", "object", "embed", "canvas",
               "select", "textarea", "button", "input")
INLINE_TAGS = frozenset(
    {"a", "span", "strong", "b", "em", "i", "u", "font", "small", "big", "sup", "sub", "mark", "abbr",
     "cite", "q", "time", "bdi", "bdo", "s", "del", "ins", "code", "tt", "var", "kbd", "nobr", "wbr"}
)
PARA_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt"})
_POS_CLASS_RE = re.compile(r"article|body|content|text|story|entry|post|detail|main|news|matn|khabar|nass",
                           re.IGNORECASE)
_NEG_CONTAINER_RE = re.compile(
    r"comment|sidebar|side-bar|footer|related|widget|menu|nav|share|social|most-?read|trending|"
    r"breaking|ticker|marquee|advert|banner|promo|sponsor|outbrain|taboola|header|masthead|popup",
    re.IGNORECASE,
)


def _text(el) -> str:
    return _WS_RE.sub(" ", el.xpath("string()")).strip()


def _clean(s: str | None) -> str | None:
    if s is None:
        return None
    s = s.replace("&nbsp;", " ").replace("&amp;", "&")
    s = clean_display(s.replace("\n", " "))
    return s or None


@lru_cache(maxsize=256)
def _selector(css: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(css, translator="html")


def _select(root, css):
    if not css:
        return []
    out = []
    for one in ([css] if isinstance(css, str) else list(css)):
        try:
            out.extend(_selector(one)(root))
        except Exception:  # invalid selector in outlets.yaml: ignore it, do not fail the page
            continue
    return out


def _hint(hints, name):
    if hints is None:
        return None
    if isinstance(hints, dict):
        return hints.get(name)
    return getattr(hints, name, None)


def _remove(el) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _tokens(s: str) -> list[str]:
    return re.findall(r"\w+", normalize_for_match(s))


def _similar(a: str, b: str, threshold: float = 0.8) -> bool:
    ta, tb = set(_tokens(a)), set(_tokens(b))
    if not ta or not tb:
        return False
    return len(ta & tb) / max(len(ta), len(tb)) >= threshold


# ---------------------------------------------------------------------------------------------
# Metadata: meta tags and JSON-LD
_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                  "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "report", "liveblogposting",
                  "scholarlyarticle", "techarticle", "socialmediaposting"}


class _Scan:
    """Everything the cascade needs from one walk over the tree (tag-filtered in C by lxml)."""

    __slots__ = ("metas", "links", "h1", "figcaptions", "title", "imgs", "scripts")

    def __init__(self, root):
        self.metas, self.links, self.h1, self.figcaptions, self.imgs, self.scripts = [], [], [], [], [], []
        self.title = None
        for el in root.iter("meta", "link", "h1", "figcaption", "title", "img", "script"):
            tag = el.tag
            if tag == "meta":
                self.metas.append(el)
            elif tag == "img":
                self.imgs.append(el)
            elif tag == "script":
                t = el.get("type")
                if t and "ld+json" in t.lower():
                    self.scripts.append(el)
            elif tag == "link":
                self.links.append(el)
            elif tag == "h1":
                self.h1.append(el)
            elif tag == "figcaption":
                self.figcaptions.append(el)
            elif tag == "title" and self.title is None:
                self.title = el


def _collect_meta(meta_elements) -> dict[str, list[str]]:
    metas: dict[str, list[str]] = defaultdict(list)
    for m in meta_elements:
        content = m.get("content")
        if content is None:
            content = m.get("value")
        if content is None:
            continue
        content = content.strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = m.get(attr)
            if key:
                for k in key.lower().split():
                    metas[k].append(content)
    return metas


def _iter_jsonld_objects(obj, depth=0):
    if depth > 6:
        return
    if isinstance(obj, list):
        for x in obj:
            yield from _iter_jsonld_objects(x, depth + 1)
    elif isinstance(obj, dict):
        yield obj
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            v = obj.get(key)
            if isinstance(v, (list, dict)):
                yield from _iter_jsonld_objects(v, depth + 1)


def _jsonld_types(obj) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {str(x).lower() for x in t}
    return set()


_JSONLD_FIELD_RE = {
    k: re.compile(r'"' + k + r'"\s*:\s*"((?:[^"\\]|\\.)*)"')
    for k in ("headline", "datePublished", "dateCreated", "articleBody", "description", "inLanguage")
}


def _collect_jsonld(scripts) -> dict:
    """Fields of the first NewsArticle/Article object in the page's JSON-LD (lenient about bad JSON)."""
    found: dict = {}
    for script in scripts:
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            # common breakage: trailing commas, raw newlines, several objects; salvage the main fields
            if re.search(r'"@type"\s*:\s*"(?:News)?Article"', raw, re.IGNORECASE):
                for k, rx in _JSONLD_FIELD_RE.items():
                    m = rx.search(raw)
                    if m and k not in found:
                        try:
                            found[k] = json.loads('"' + m.group(1) + '"', strict=False)
                        except ValueError:
                            found[k] = m.group(1)
            continue
        for obj in _iter_jsonld_objects(data):
            types = _jsonld_types(obj)
            if types & _ARTICLE_TYPES:
                for k in ("headline", "name", "datePublished", "dateCreated", "articleBody", "description",
                          "inLanguage", "author", "url", "publisher"):
                    if k in obj and k not in found:
                        found[k] = obj[k]
                if "mainEntityOfPage" in obj and "url" not in found:
                    me = obj["mainEntityOfPage"]
                    found["url"] = me.get("@id") if isinstance(me, dict) else me
            elif types & {"webpage", "organization", "newsmediaorganization", "website"}:
                name = obj.get("name")
                if isinstance(name, str) and types & {"organization", "newsmediaorganization", "website"}:
                    found.setdefault("_site_names", []).append(name)
    return found


def _names(value) -> list[str]:
    """Person names from a JSON-LD author value (str, dict or list)."""
    out = []
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        n = value.get("name")
        if isinstance(n, str):
            out.append(n)
    elif isinstance(value, list):
        for v in value:
            out.extend(_names(v))
    return [x.strip() for x in out if x and x.strip()]


# ---------------------------------------------------------------------------------------------
# Generic body extraction
def _score_containers(root):
    """Readability-style scores: the text of every paragraph-like block counts for the block's
    container and half for the container's parent; link text counts against."""
    body = root.find("body")
    if body is None:
        body = root
    text_score: dict = defaultdict(float)
    link_score: dict = defaultdict(float)
    inline, skip = INLINE_TAGS, SKIP_TAGS
    nodes = []  # (text, element holding it) for every non-trivial text node; a Python walk beats XPath here
    for e in body.iter(etree.Element):
        t = e.text
        if t is not None and len(t) > 15:
            t = t.strip()
            if len(t) > 15:
                nodes.append((t, e))
        t = e.tail
        if t is not None and len(t) > 15:
            t = t.strip()
            if len(t) > 15:
                nodes.append((t, e.getparent()))
    for t, el in nodes:
        if el is None:
            continue
        in_link = False
        tag = el.tag
        while tag in inline:
            if tag == "a":
                in_link = True
            el = el.getparent()
            if el is None:
                break
            tag = el.tag
        if el is None or tag in skip:
            continue
        if in_link:
            link_score[el] += len(t)
        else:
            # punctuation-rich prose weighs more than menus and lists of names
            text_score[el] += len(t) + 20 * (t.count("،") + t.count(",") + t.count("."))
    cand: dict = defaultdict(float)
    links: dict = defaultdict(float)
    for src, weight_map in ((text_score, cand), (link_score, links)):
        for el, s in src.items():
            if el.tag in PARA_TAGS:
                parent = el.getparent()
                if parent is None:
                    continue
                weight_map[parent] += s
                gp = parent.getparent()
                if gp is not None:
                    weight_map[gp] += s / 2
            else:
                weight_map[el] += s
                parent = el.getparent()
                if parent is not None:
                    weight_map[parent] += s / 2
    scored = []
    for el, s in cand.items():
        if el.tag in ("html", "head"):
            continue
        attrs = (el.get("class") or "") + " " + (el.get("id") or "")
        if attrs.strip():
            if _NEG_CONTAINER_RE.search(attrs) and not re.search(r"article|story|body", attrs, re.I):
                s *= 0.2
            elif _POS_CLASS_RE.search(attrs):
                s *= 1.25
        if el.tag in ("article", "main") or el.get("itemprop") == "articleBody":
            s *= 1.25
        if el.tag == "body":
            s *= 0.5
        ld = links.get(el, 0.0) / (links.get(el, 0.0) + cand[el] + 1)
        s *= 1 - ld
        scored.append((s, el))
    scored.sort(key=lambda x: x[0], reverse=True)
    return scored


class _Renderer:
    """Renders an element tree to paragraph lines: block elements and <br> start new lines."""

    def __init__(self):
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.link = 0
        self.img = False

    def flush(self):
        if self.buf:
            text = _WS_RE.sub(" ", "".join(self.buf)).strip()
            if text:
                self.lines.append(Line(text, min(self.link, len(text)), self.img))
            self.buf = []
        self.link = 0
        self.img = False

    def add(self, s: str, in_link: bool):
        self.buf.append(s)
        if in_link:
            self.link += len(s.strip())

    def walk(self, el, in_link=False):
        if el.text:
            self.add(el.text, in_link)
        for ch in el:
            tag = ch.tag
            if not isinstance(tag, str):
                pass
            elif tag == "br":
                self.flush()
            elif tag == "img":
                self.img = True
            elif is_boilerplate_element(ch):
                if tag in ("figure", "figcaption", "picture"):
                    self.flush()
            elif tag in BLOCK_TAGS:
                self.flush()
                self.walk(ch, in_link)
                self.flush()
            else:
                self.walk(ch, in_link or tag == "a")
            if ch.tail:
                self.add(ch.tail, in_link)


def _render(elements) -> list[Line]:
    r = _Renderer()
    for el in elements:
        r.flush()
        r.walk(el)
        r.flush()
    return r.lines


def _pick_containers(scored):
    if not scored:
        return []
    best_score, best = scored[0]
    if best_score <= 0:
        return []
    parent = best.getparent()
    if parent is None:
        return [best]
    # siblings that hold a comparable share of prose (articles split over several blocks)
    scores = {id(el): s for s, el in scored[:200]}
    chosen = []
    for sib in parent:
        if sib is best:
            chosen.append(sib)
        elif isinstance(sib.tag, str) and scores.get(id(sib), 0) >= 0.3 * best_score \
                and not is_boilerplate_element(sib):
            chosen.append(sib)
    return chosen


# ---------------------------------------------------------------------------------------------
# Dates on the page
_DATE_HINT_RE = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]|منذ|قبل|أمس|امس")


def _ancestors_set(elements):
    s = set()
    for el in elements:
        s.add(el)
    return s


def _inside(el, roots: set) -> bool:
    while el is not None:
        if el in roots:
            return True
        el = el.getparent()
    return False


def _text_date(anchor, containers, tz, now):
    """The article's own date line: short dated texts near the title (or body), in document order,
    climbing at most four levels, never inside the body paragraphs or inside links."""
    if anchor is None:
        return None
    exclude = _ancestors_set(containers)
    seen = set()
    level = anchor
    for _ in range(4):
        level = level.getparent()
        if level is None or level.tag in ("html",):
            break
        for node in level.xpath(".//time[@datetime] | .//text()[string-length(normalize-space(.)) > 3 "
                                "and string-length(normalize-space(.)) < 160]"):
            if isinstance(node, str):
                if not _DATE_HINT_RE.search(node):
                    continue
                el = node.getparent()
                if node.is_tail:
                    el = el.getparent() if el is not None else None
            else:
                el = node
            if el is None or el in seen:
                continue
            seen.add(el)
            if el.tag in ("script", "style", "a", "title", "option") or _inside(el, exclude):
                continue
            if _in_link(el):
                continue
            if not isinstance(node, str):
                dt = parse_structured_date(node.get("datetime"), timezone=tz)
            else:
                full = _text(el)
                text = full if len(full) < 200 else str(node)
                dt = parse_arabic_date(text, timezone=tz, now=now)
            if dt is not None and is_plausible(dt, now=now):
                return dt
    return None


def _attached(el, root) -> bool:
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


def _in_link(el) -> bool:
    for _ in range(4):
        if el is None:
            return False
        if el.tag == "a":
            return True
        el = el.getparent()
    return False


# ---------------------------------------------------------------------------------------------
def extract_article(
    html: bytes | str,
    url: str,
    *,
    hints=None,
    timezone: str = "UTC",
    feed_published: datetime | None = None,
    fetched_at: datetime | None = None,
    encoding: str | None = None,
) -> ExtractedArticle:
    """Extract one article page. Never raises for bad input; returns ``error`` instead."""
    try:
        return _extract(html, url, hints=hints, timezone=timezone or "UTC", feed_published=feed_published,
                        fetched_at=fetched_at, encoding=encoding)
    except Exception as exc:  # last line of defence: one bad page must not stop a batch
        return ExtractedArticle.failed(f"extraction failed: {type(exc).__name__}: {str(exc)[:160]}")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _extract(html, url, *, hints, timezone, feed_published, fetched_at, encoding) -> ExtractedArticle:
    # ---- input checks
    if html is None:
        return ExtractedArticle.failed("empty page")
    if isinstance(html, (bytearray, memoryview)):
        html = bytes(html)
    if isinstance(html, str):
        size = len(html) if len(html) * 4 <= MAX_PAGE_BYTES else len(html.encode("utf-8", "surrogatepass"))
        if size > MAX_PAGE_BYTES:
            return ExtractedArticle.failed(f"page too large: {size} bytes > {MAX_PAGE_BYTES}")
        if not html.strip():
            return ExtractedArticle.failed("empty page")
        if "\x00" in html[:4096]:
            return ExtractedArticle.failed("binary content")
        text = html
        raw_utf8 = None
    elif isinstance(html, bytes):
        raw_utf8 = None
        if len(html) > MAX_PAGE_BYTES:
            return ExtractedArticle.failed(f"page too large: {len(html)} bytes > {MAX_PAGE_BYTES}")
        if not html[:4096].strip() and not html.strip():
            return ExtractedArticle.failed("empty page")
        head = html[:4096]
        if not any(head.startswith(b) for b, _ in _BOMS):
            kind = _binary_kind(head)
            if kind:
                return ExtractedArticle.failed(f"binary content ({kind})" if kind != "data" else "binary content")
        text, _enc = _decode(html, encoding)
        if _enc == "utf-8":
            raw_utf8 = html
    else:
        return ExtractedArticle.failed(f"unsupported input type: {type(html).__name__}")

    if "<" not in text[:65536]:
        return ExtractedArticle.failed("not html: no markup found")
    try:
        root = etree.fromstring(raw_utf8 if raw_utf8 is not None else text.encode("utf-8", "replace"), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        return ExtractedArticle.failed(f"unparseable html: {str(exc)[:120]}")
    if root is None:
        return ExtractedArticle.failed("empty page")

    fetched_at = _aware(fetched_at)
    feed_published = _aware(feed_published)
    now = fetched_at or datetime.now(UTC)
    methods: dict[str, str] = {}

    # ---- metadata (before scripts are stripped)
    scan = _Scan(root)
    metas = _collect_meta(scan.metas)
    jsonld = _collect_jsonld(scan.scripts)

    def meta(*keys):
        for k in keys:
            for v in metas.get(k, ()):
                if v and v.strip():
                    return v.strip()
        return None

    site_names = [s for s in (meta("og:site_name"), meta("application-name"), meta("dc.publisher"),
                              meta("publisher")) if s]
    pub = jsonld.get("publisher")
    site_names += _names(pub) if pub else []
    site_names += jsonld.get("_site_names", [])
    # "خبرگزاری … | YJC" style site names: each part is a name too
    site_names += [p.strip() for s in list(site_names) for p in re.split(r"\s[|\-–]\s", s) if p.strip()]

    title_tag = None
    t_el = scan.title
    if t_el is not None:
        title_tag = _clean(_text(t_el))

    lang_declared = normalise_language_code(root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang"))
    if not lang_declared:
        for cand in (meta("content-language"), meta("language"), meta("dc.language"), meta("og:locale"),
                     jsonld.get("inLanguage") if isinstance(jsonld.get("inLanguage"), str) else None):
            lang_declared = normalise_language_code(cand)
            if lang_declared:
                break

    canonical = None
    for link in scan.links:
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            canonical = link.get("href").strip()
            break
    canonical = canonical or meta("og:url") or (jsonld.get("url") if isinstance(jsonld.get("url"), str) else None)

    # ---- strip non-content and the outlet's drop list (one parse; the tree is edited in place)
    etree.strip_elements(root, *_STRIP_TAGS, with_tail=False)
    for el in _select(root, _hint(hints, "drop")):
        _remove(el)

    # captions anywhere on the page (to drop them from the body wherever the markup put them)
    # (compared verbatim, whitespace-collapsed: captions are repeated as published)
    captions = set()
    for el in scan.figcaptions:
        for c in el.xpath(".//text()"):
            c = _WS_RE.sub(" ", c).strip()
            if len(c) >= 4:
                captions.add(c)
        c = _text(el)
        if c:
            captions.add(c)
    for img in scan.imgs:
        for alt in (img.get("alt"), img.get("title")):
            if alt and len(alt) >= 8:
                captions.add(_WS_RE.sub(" ", alt).strip())

    headings = []
    h1s = []
    for h in scan.h1:
        if not _attached(h, root):  # removed with a stripped or dropped element
            continue
        ht = _clean(_text(h))
        if ht:
            h1s.append((ht, h))
            headings.append(ht)
        if len(h1s) >= 6:
            break

    # ---- title
    title = title_el = None
    jl_title = jsonld.get("headline") or jsonld.get("name")
    if isinstance(jl_title, str) and _clean(jl_title):
        title, methods["title"] = _clean(jl_title), "jsonld"
    elif meta("og:title", "twitter:title", "dc.title"):
        title, methods["title"] = _clean(meta("og:title", "twitter:title", "dc.title")), "meta"
    else:
        sel = _select(root, _hint(hints, "title"))
        if sel and _clean(_text(sel[0])):
            title, methods["title"], title_el = _clean(_text(sel[0])), "selector", sel[0]
    site_f = {normalize_for_match(s) for s in site_names}
    if title:
        title = strip_title_suffix(title, site_names, headings)
        for ht, h in h1s:  # the page's own heading is the faithful form (punctuation, quotes)
            if _similar(ht, title) and normalize_for_match(ht) not in site_f:
                title, title_el = ht, h
                break
    if not title:
        for ht, h in h1s:
            if len(ht.split()) >= 2 and normalize_for_match(ht) not in site_f:
                title, title_el, methods["title"] = ht, h, "generic"
                break
    if not title and title_tag:
        title, methods["title"] = strip_title_suffix(title_tag, site_names, headings), "generic"
    if title and title_el is None:
        for ht, h in h1s:
            if _similar(ht, title, 0.6):
                title_el = h
                break

    # ---- lead
    lead = None
    jl_desc = jsonld.get("description")
    if isinstance(jl_desc, str) and _clean(jl_desc):
        lead, methods["lead"] = _clean(jl_desc), "jsonld"
    elif meta("og:description", "description", "dc.description", "twitter:description"):
        lead, methods["lead"] = _clean(meta("og:description", "description", "dc.description",
                                            "twitter:description")), "meta"

    # ---- body
    containers = []
    lines: list[str] = []
    sel = _select(root, _hint(hints, "body"))
    if sel:
        containers = sel
        lines = filter_lines(_render(sel), title=title, site_names=site_names, captions=captions)
        if lines:
            methods["body"] = "selector"
    if not lines:
        scored = _score_containers(root)
        containers = _pick_containers(scored)
        if containers:
            raw_lines = _render(containers)
            lines = filter_lines(raw_lines, title=title, site_names=site_names, captions=captions)
            if lines:
                methods["body"] = "generic"
    body = clean_display("\n".join(lines)) if lines else ""
    jl_body = jsonld.get("articleBody")
    if isinstance(jl_body, str) and len(jl_body) >= 150:
        if "<" in jl_body and ">" in jl_body:
            try:
                frag = etree.fromstring(("<div>" + jl_body + "</div>").encode("utf-8"), _PARSER)
                jl_lines = filter_lines(_render([frag]), title=title, site_names=site_names, captions=captions)
            except Exception:
                jl_lines = []
        else:
            jl_lines = filter_lines([Line(x) for x in jl_body.splitlines()], title=title,
                                    site_names=site_names, captions=captions)
        jl_text = clean_display("\n".join(jl_lines))
        if len(body) < 0.6 * len(jl_text):
            body, methods["body"] = jl_text, "jsonld"
    if len(body) < MIN_BODY_CHARS:
        tb = _trafilatura_body(text, url)
        if tb:
            tl = filter_lines([Line(x) for x in tb.splitlines()], title=title, site_names=site_names,
                              captions=captions)
            tb = clean_display("\n".join(tl))
            if len(tb) > len(body) and len(tb.split()) >= MIN_BODY_WORDS:
                body, methods["body"] = tb, "trafilatura"
    if body and len(body.split()) < MIN_BODY_WORDS:
        body = ""  # a few stray words (menu items, a label) are not an article
        methods.pop("body", None)

    # ---- author
    author = None
    jl_auth = _names(jsonld.get("author")) if jsonld.get("author") else []
    jl_auth = [a for a in jl_auth if normalize_for_match(a) not in site_f and "://" not in a]
    if jl_auth:
        author, methods["author"] = ", ".join(dict.fromkeys(jl_auth)), "jsonld"
    else:
        for k in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl"):
            for v in metas.get(k, ()):
                v = _clean(v)
                if v and "://" not in v and not v.startswith("@") and normalize_for_match(v) not in site_f:
                    author, methods["author"] = _strip_byline(v), "meta"
                    break
            if author:
                break
    if not author:
        sel = _select(root, _hint(hints, "author"))
        if sel and _clean(_text(sel[0])):
            author, methods["author"] = _strip_byline(_clean(_text(sel[0]))), "selector"
    if not author:
        # a byline near the headline (not an author widget elsewhere on the page)
        region = title_el if title_el is not None else (containers[0] if containers else None)
        for _ in range(3):
            if region is not None and region.getparent() is not None:
                region = region.getparent()
        nodes = _AUTHOR_XP(region) if region is not None else []
        for el in nodes[:3]:
            a = _clean(_text(el))
            if a and len(a) <= 60 and normalize_for_match(a) not in site_f:
                author, methods["author"] = _strip_byline(a), "generic"
                break

    # ---- date
    published = None
    date_source = None
    for v in (jsonld.get("datePublished"), jsonld.get("dateCreated")):
        if isinstance(v, str):
            dt = parse_structured_date(v, timezone=timezone)
            if dt and is_plausible(dt, now=now):
                published, date_source = dt, "jsonld"
                break
    if published is None:
        cands = [meta("article:published_time", "og:published_time", "article:published", "datepublished",
                      "pubdate", "publishdate", "publish-date", "publish_date", "publication_date",
                      "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created", "dc.date.created",
                      "sailthru.date", "parsely-pub-date", "article.published", "date", "created", "cxenseparse:recs:publishtime",
                      "original-publish-date", "article_date_original")]
        cands = [c for c in cands if c]
        if not cands:
            for el in _DATE_XP(root)[:2]:
                cands.append(el.get("datetime") or el.get("content"))
        for v in cands:
            dt = parse_structured_date(v, timezone=timezone) if v else None
            if dt and is_plausible(dt, now=now):
                published, date_source = dt, "meta"
                break
    if published is None:
        sel = _select(root, _hint(hints, "date"))
        for el in sel[:3]:
            v = el.get("datetime") or el.get("content")
            dt = parse_structured_date(v, timezone=timezone) if v else parse_arabic_date(_text(el), timezone=timezone, now=now)
            if dt and is_plausible(dt, now=now):
                published, date_source, methods["date"] = dt, "text", "selector"
                break
    if published is None:
        dt = _text_date(title_el if title_el is not None else (containers[0] if containers else None),
                        containers, timezone, now)
        if dt is None and containers and title_el is not None:
            dt = _text_date(containers[0], containers, timezone, now)
        if dt is None and containers:
            # a date line inside the article container, marked up as such (class date/time/publish, <time>)
            for c in containers[:2]:
                for el in _DATE_CLASS_XP(c)[:5]:
                    v = el.get("datetime")
                    d2 = parse_structured_date(v, timezone=timezone) if v else None
                    if d2 is None:
                        t = _text(el)
                        d2 = parse_arabic_date(t, timezone=timezone, now=now) if len(t) < 160 else None
                    if d2 and is_plausible(d2, now=now):
                        dt = d2
                        break
                if dt is not None:
                    break
        if dt is None and containers:
            raw = _render(containers)
            for ln in raw[:3] + raw[-3:]:
                f = normalize_for_match(ln.text)
                if looks_like_date_line(f):
                    d2 = parse_arabic_date(ln.text, timezone=timezone, now=now)
                    if d2 and is_plausible(d2, now=now):
                        dt = d2
                        break
        if dt is not None:
            published, date_source = dt, "text"
    if published is None:
        for u in (url, canonical):
            dt = date_from_url(u, timezone=timezone)
            if dt and is_plausible(dt, now=now):
                published, date_source = dt, "url"
                break
    if published is None and feed_published and is_plausible(feed_published, now=now):
        published, date_source = feed_published, "feed"
    if published is None and fetched_at:
        published, date_source = fetched_at, "fetched"
    if date_source and "date" not in methods:
        methods["date"] = date_source

    # ---- language
    sample = body or " ".join(x for x in (title, lead) if x)
    language = detect_language(sample)
    methods["language"] = "lingua" if language else "none"

    error = None
    if not body:
        error = "no article body found"
    order = ("title", "lead", "body", "author", "date", "language")
    method = ";".join(f"{k}={methods.get(k, 'none')}" for k in order)
    return ExtractedArticle(
        title=title, lead=lead, body=body, author=author, published_at=published, date_source=date_source,
        language=language, language_declared=lang_declared, canonical_url=canonical, extraction_method=method,
        error=error,
    )


_DATE_CLASS_XP = etree.XPath(
    './/time | .//*[contains(@class, "date") or contains(@class, "Date") or contains(@class, "time") '
    'or contains(@class, "publish") or contains(@class, "posted") or contains(@id, "date")]')
_AUTHOR_XP = etree.XPath('.//*[@rel="author" or @itemprop="author" or @class="author" or @class="byline"]')
_DATE_XP = etree.XPath('//*[@itemprop="datePublished"][@datetime or @content] | //time[@pubdate][@datetime]')
_BYLINE_RE = re.compile(r"^(?:كتب|كتبت|بقلم|إعداد|اعداد|تقرير|By)\s*[:：\-]?\s*", re.IGNORECASE)


def _strip_byline(s: str) -> str:
    return _BYLINE_RE.sub("", s).strip() or s


def _trafilatura_body(text: str, url: str) -> str | None:
    """Fallback generic extractor (imported lazily: it is slow to import and to run)."""
    try:
        import trafilatura

        return trafilatura.extract(text, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True)
    except Exception:
        return None
