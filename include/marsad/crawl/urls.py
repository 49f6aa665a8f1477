"""Canonical URLs: one spelling per article, so the frontier and article_id see it once."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only track the reader, never select content.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "utm_name",
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "ref", "ref_src",
    "amp", "cmp", "ocid", "at_medium", "at_campaign",
)
_AMP_PATH_RE = re.compile(r"(/amp)(?=/|$)|(\.amp)(?=\.html?$|$)", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Lower-case scheme/host, no fragment, no tracking parameters, sorted query, no AMP or mobile
    variant (``/amp/``, ``.amp``, ``m.`` / ``amp.`` hosts), percent-encoding normalised."""
    url = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)
    parts = urlsplit(canonicalize_url(url, keep_fragments=False))
    host = parts.netloc.lower()
    for prefix in ("m.", "amp.", "mobile."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = "www." + host[len(prefix):] if not host[len(prefix):].startswith("www.") else host[len(prefix):]
            break
    path = _AMP_PATH_RE.sub("", parts.path) or "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def clean_url(url: str) -> str:
    """The URL to request: tracking parameters and fragment removed, everything else as published
    (an AMP or mobile URL is fetched as is; its page names the canonical URL)."""
    return url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)


def article_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def host_of(url: str) -> str:
    """host[:port] of a URL, lower-cased (the unit of politeness)."""
    return urlsplit(url).netloc.lower()


def registrable_host(url: str) -> str:
    """Host without port and without a leading www./m./amp. (for same-outlet checks)."""
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    return host


def same_site(url: str, base: str) -> bool:
    """True when url belongs to the same outlet site as base (subdomains allowed; ports must match)."""
    a, b = urlsplit(url), urlsplit(base)
    if a.scheme not in ("http", "https"):
        return False
    ha, hb = registrable_host(url), registrable_host(base)
    if (a.port or None) != (b.port or None):
        return False
    return ha == hb or ha.endswith("." + hb)
