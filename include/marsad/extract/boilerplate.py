"""Boilerplate removal for Arabic news pages.

Two levels:

- element level (``is_boilerplate_element``): inside the chosen article container, drop figures and
  captions, share bars, "related"/"read also" boxes, ads, tag lists, author boxes, forms… by tag name
  and by class/id vocabulary;
- line level (``filter_lines``): after rendering the container to paragraphs, drop the lines Arabic
  news sites put around and inside articles: the outlet name and "رئيس التحرير" masthead lines, the
  repeated headline, image captions, "اقرأ أيضا" / related links, share and follow prompts, ad labels,
  copyright lines, bare date lines and link-dominated lines.

Matching uses ``normalize_for_match`` so spelling variants (اقرأ/إقرأ/اقرا، أيضا/أيضاً/ايضا) agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marsad.text.arabic import normalize_for_match

# Elements never part of article text.
SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "iframe", "svg", "template", "object", "embed", "form", "button",
        "select", "option", "input", "textarea", "figure", "figcaption", "aside", "nav", "footer",
        "audio", "video", "canvas", "map", "picture", "label", "dialog", "menu", "head", "title", "meta",
        "link",
    }
)
# Block-level elements: text before and after them starts a new paragraph.
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
        "li", "dl", "dt", "dd", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
        "address", "center", "hr", "fieldset", "details", "summary", "caption", "body", "html",
    }
)

# class/id vocabulary of non-article parts (matched inside the article container only).
_NEG_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|sociallinks|shareBox|addtoany|a2a|related|relatedNews|related-?posts?|"
    r"read-?more|readmore|read-?also|see-?also|more-?news|also|tags?|tag-?list|keywords|labels|"
    r"comments?|disqus|caption|wp-caption-text|img-?cap|image-?caption|photo-?caption|credit|"
    r"ads?|advert\w*|adsbygoogle|banner|sponsor\w*|promo\w*|dfp|gpt|outbrain|taboola|teads|"
    r"newsletter|subscribe|subscription|breadcrumbs?|widget|sidebar|side-?bar|print|toolbar|"
    r"author-?box|about-?author|byline|metadata|meta-?data|post-?meta|article-?meta|"
    r"publish-?date|date|time|timestamp|dateline|source|"
    r"video-?player|player|gallery|slider|carousel|popup|modal|cookie|rating|vote|poll|"
    r"follow|follow-google|google-?news|whatsapp|telegram|nabd|most-?read|trending|"
    r"fb-like|fb-send|twitter-share-button|g-plusone)(?:$|[\s_-])",
    re.IGNORECASE,
)


def is_boilerplate_element(el) -> bool:
    """True for elements inside an article container that hold no article text."""
    tag = el.tag
    if not isinstance(tag, str):
        return True
    if tag in SKIP_TAGS:
        return True
    attrs = el.attrib
    if not attrs:
        return False
    if attrs.get("hidden") is not None or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    if style and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style):
        return True
    cls = (attrs.get("class") or "") + " " + (attrs.get("id") or "")
    if cls.strip() and _NEG_CLASS_RE.search(cls):
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Line-level rules. Patterns are applied to folded text (normalize_for_match).
def _f(s: str) -> str:
    return normalize_for_match(s)


_READ_ALSO_RE = re.compile(
    r"^[\W_]*(?:"
    r"(?:ا?قرا|طالع|شاهد|تابع|اطلع|انظر)\s*(?:ايضا|كذلك|المزيد|ايضا\s*:)"  # اقرأ أيضا، شاهد أيضا، طالع أيضا
    r"|(?:اقرا|للمزيد|لمزيد)\s+(?:من\s+)?(?:الاخبار|التفاصيل|المقالات)"
    r"|(?:اخبار|مواضيع|مقالات|موضوعات|قصص)\s+(?:ذات\s+صله|متعلقه|مشابهه|مرتبطه|قد\s+تهمك)"
    r"|(?:ذات\s+صله|قد\s+يهمك|قد\s+يعجبك|ننصحك\s+بقراءه|اقرا\s+المزيد|المزيد\s+من|الاكثر\s+قراءه|الاكثر\s+مشاهده)"
    r"|(?:read\s+(?:also|more)|see\s+also|related)"
    r")"
)
_SHARE_RE = re.compile(
    r"^[\W_]*(?:"
    r"شارك|شاركها|شاركوا|مشاركه\s+(?:الخبر|المقال|عبر)|انشر|ارسل\s+(?:الخبر|لصديق)|طباعه|"
    r"تابعونا|تابعوا|تابعنا|تابع\s+(?:اخبار|اخر|صفحتنا|قناه|حساب)|للاشتراك|اشترك|لمتابعه|"
    r"حمل\s+تطبيق|اضغط\s+هنا|انقر\s+هنا|اضغط\s+على|"
    r"share|follow\s+us|subscribe"
    r")"
)
_SOCIAL_WORDS_RE = re.compile(
    r"فيسبوك|فيس\s+بوك|تويتر|واتساب|واتس\s+اب|تيليجرام|تلغرام|تليجرام|انستغرام|انستجرام|يوتيوب|"
    r"جوجل\s+نيوز|غوغل\s+نيوز|نبض|facebook|twitter|whatsapp|telegram|instagram|youtube|google\s+news"
)
_AD_RE = re.compile(r"^[\W_]*(?:اعلان|اعلانات|مساحه\s+اعلانيه|advertisement|ads?|sponsored)[\W_]*$")
# (folded spelling: رئيس -> رييس, المسؤول -> المسوول, الإدارة -> الاداره)
_MASTHEAD_RE = re.compile(
    r"^[\W_]*(?:رييس\s+(?:مجلس\s+)?(?:التحرير|الاداره)|"
    r"مدير\s+التحرير|المدير\s+العام|نايب\s+رييس\s+التحرير|"
    r"المشرف\s+العام|مدير\s+عام\s+التحرير)"
)
_COPYRIGHT_RE = re.compile(
    r"^[\W_]*(?:©|\(c\)|جميع\s+الحقوق|كل\s+الحقوق|حقوق\s+(?:النشر|الطبع)|copyright|all\s+rights)"
)
_LABEL_RE = re.compile(
    r"^(?:المصدر|التاريخ|الكاتب|كتب|بقلم|الوسوم|الكلمات\s+المفتاحيه|كلمات\s+مفتاحيه|كلمات\s+دلاليه|"
    r"مواضيع|تاجز|tags|source|date|المحرر|تحرير|اعداد|تصوير|الاقسام|القسم|التصنيف|اخر\s+تحديث|"
    r"تاريخ\s+النشر|نشر\s+في|نشر\s+بتاريخ|تم\s+النشر|تم\s+نشره|اخر\s+تعديل)\s*[:：]?\s*$"
)
_DATE_LINE_RE = re.compile(
    r"^[\W_]*(?:(?:نشر|تم\s+نشره|تم\s+النشر|اخر\s+تحديث|تاريخ\s+النشر|بتاريخ|منذ|قبل|"
    r"السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه)\b|\d)"
)


@dataclass
class Line:
    """One rendered paragraph of the article container."""

    text: str
    link_chars: int = 0
    has_image: bool = False

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


def _words(s: str) -> int:
    return len(s.split())


def looks_like_date_line(folded: str) -> bool:
    """A short line made of a date/time (and its label), e.g. "الإثنين، 24 أغسطس 2020 09:23 ص"."""
    if _words(folded) > 10 or not _DATE_LINE_RE.match(folded):
        return False
    from marsad.extract.dates import parse_arabic_date

    return parse_arabic_date(folded) is not None


def filter_lines(
    lines: list[Line],
    *,
    title: str | None = None,
    site_names: list[str] | tuple[str, ...] = (),
    captions: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Keep the article paragraphs of rendered container lines (see module docstring)."""
    title_f = _f(title) if title else None
    title_len = len(title) if title else -100
    sites_f = {_f(s) for s in site_names if s}
    out: list[str] = []
    n = len(lines)
    skip_next_short = False
    in_related = False
    for i, line in enumerate(lines):
        text = line.text
        nw = _words(text)
        if not nw:
            continue
        if text in captions:
            continue
        # the rules look at the start of a line; fold only that much (long lines are prose)
        f = _f(text if len(text) <= 100 else text[:60])
        if skip_next_short:
            skip_next_short = False
            if nw <= 4:  # the name after a bare "رئيس التحرير" line
                continue
        if in_related:
            # inside a "related" list: its items are links; the first line without links ends it
            if line.link_density > 0.3:
                continue
            in_related = False
        if line.link_density > 0.5 and nw < 40:
            continue
        if nw <= 8 and f in sites_f:
            continue
        if title_f and abs(len(text) - title_len) <= 3 and _f(text).rstrip(" .") == title_f.rstrip(" ."):
            continue
        m = _MASTHEAD_RE.match(f)
        if m and nw <= 8:
            rest = f[m.end():].strip()
            if not rest:  # the label alone; the editor's name follows on the next line
                skip_next_short = True
                continue
            # "رئيس التحرير: عمرو الديب" anywhere; "رئيس التحرير عمرو الديب" only at the edges
            if rest[0] in ":-–" or (_words(rest) <= 3 and (i < 5 or i >= n - 5)):
                continue
        if _READ_ALSO_RE.match(f):
            if nw <= 4 or f.rstrip().endswith(":"):
                in_related = True
            if nw <= 25:
                continue
        if nw <= 12 and (_SHARE_RE.match(f) or (_SOCIAL_WORDS_RE.search(f) and nw <= 8)):
            continue
        if _AD_RE.match(f) or (nw <= 15 and _COPYRIGHT_RE.match(f)) or _LABEL_RE.match(f):
            continue
        if line.has_image and nw <= 15 and not f.endswith("."):
            continue  # caption set next to an inline image
        if (i == 0 or i == n - 1) and not f.endswith(":") and looks_like_date_line(f):
            continue
        out.append(text)
    # a label left dangling at the end ("الوسوم:", "المصدر:")
    while out and _words(out[-1]) <= 3 and out[-1].rstrip().endswith((":", "：")):
        out.pop()
    return out


# ---------------------------------------------------------------------------------------------
# Titles
_TITLE_SEP_RE = re.compile(r"\s+(?:[-–—»«•·]|::)\s+|\s*\|\s*")


def strip_title_suffix(title: str | None, site_names=(), headings=()) -> str | None:
    """The headline without the outlet name: "<headline> - تحيا مصر" -> "<headline>", also a prefix
    ("المدينة نيوز - <headline>"). A part is dropped when it names the site, or when a heading of the page
    equals another part, or when it is short next to a long remainder."""
    if not title:
        return title
    title = title.strip()
    parts = [p.strip() for p in _TITLE_SEP_RE.split(title) if p and p.strip()]
    if len(parts) < 2:
        return title
    heads_f = {_f(h) for h in headings if h}
    for p in parts:
        if _f(p) in heads_f:
            return p
    sites_f = [_f(s) for s in site_names if s]
    seps = _TITLE_SEP_RE.findall(title)
    # drop leading/trailing parts naming the site
    def names_site(p: str) -> bool:
        pf = _f(p)
        return any(pf == s or (len(s) >= 3 and s in pf and _words(pf) <= _words(s) + 3) for s in sites_f)

    start, end = 0, len(parts)
    while end - start > 1 and names_site(parts[end - 1]):
        end -= 1
    while end - start > 1 and names_site(parts[start]):
        start += 1
    if (start, end) != (0, len(parts)):
        return _join(parts, seps, start, end)
    # no site name known: a short last part next to a long remainder is an outlet suffix
    last = parts[-1]
    rest_len = len(title) - len(last)
    if _words(last) <= 4 and len(last) <= 30 and rest_len >= 2 * len(last) and _TITLE_SEP_RE.search(title):
        sep = seps[-1] if seps else ""
        if sep.strip() in {"-", "|", "–", "—", "»", "::", "•", "·"}:
            return _join(parts, seps, 0, len(parts) - 1)
    return title


def _join(parts, seps, start, end) -> str:
    out = parts[start]
    for k in range(start + 1, end):
        out += seps[k - 1] + parts[k] if k - 1 < len(seps) else " " + parts[k]
    return out.strip()
