"""Polite HTTP client: robots.txt, per-host delay, retries with backoff, size cap, safe redirects.

Every attempt (including refusals that never reach the network) is handed to a ``recorder``
(usually a :class:`marsad.crawl.capture.WarcCapture`), so the raw capture and the fetch log are
complete. Failures never raise: they come back as a :class:`FetchResult` with a ``failure_class``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego

from marsad.config import CrawlSettings
from marsad.crawl.urls import host_of

log = logging.getLogger(__name__)

# Failure classes written to fetch_log.failure_class (None = success).
FAILURE_CLASSES = (
    "dns", "connect", "timeout", "http_4xx", "http_5xx", "blocked_by_robots", "too_large", "bad_encoding",
    "not_html", "redirect_refused", "private_address", "too_many_redirects", "error",
)
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 60.0


class Recorder(Protocol):
    def write_response(self, url, status, reason, headers, body, meta) -> None: ...
    def write_failure(self, url, meta) -> None: ...


class NullRecorder:
    def write_response(self, *a, **k) -> None:
        pass

    def write_failure(self, *a, **k) -> None:
        pass


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None
    body: bytes
    headers: dict[str, str]
    failure_class: str | None
    error: str | None
    fetched_at: datetime
    attempts: int = 1
    elapsed_ms: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure_class is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def is_private_host(host: str) -> bool:
    """True when the host name resolves to a private, loopback, link-local or reserved address."""
    hostname = urlsplit(f"//{host}").hostname or host
    try:
        infos = socket.getaddrinfo(hostname, None)
    except socket.gaierror:
        return False  # unresolvable: the fetch itself reports dns
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            return True
    return False


def _classify_exception(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return "dns"
        if "Read timed out" in text:
            return "timeout"
        return "connect"
    return "error"


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(float(value), MAX_RETRY_AFTER_S)
    except ValueError:
        try:
            delta = (parsedate_to_datetime(value) - _utcnow()).total_seconds()
            return max(0.0, min(delta, MAX_RETRY_AFTER_S))
        except (TypeError, ValueError):
            return None


class PoliteFetcher:
    """One per crawl task. Not thread-safe (a crawl task fetches one outlet sequentially)."""

    def __init__(self, settings: CrawlSettings, recorder: Recorder | None = None, *, delay_s: float | None = None,
                 sleep=time.sleep, clock=time.monotonic):
        self.settings = settings
        self.recorder = recorder or NullRecorder()
        self.delay_s = settings.delay_s if delay_s is None else delay_s
        self._sleep = sleep
        self._clock = clock
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, Protego | None] = {}
        self._allowed_private = {h.lower() for h in settings.allow_private_hosts}
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"})

    # -- politeness -------------------------------------------------------------------------
    def _host_allowed(self, url: str) -> bool:
        host = host_of(url)
        hostname = urlsplit(url).hostname or ""
        if host in self._allowed_private or hostname in self._allowed_private:
            return True
        return not is_private_host(hostname)

    def _wait_turn(self, host: str) -> None:
        delay = self.delay_s
        robots = self._robots.get(host)
        if robots is not None:
            cd = robots.crawl_delay(self.settings.user_agent)
            if cd:
                delay = max(delay, float(cd))
        last = self._last_request.get(host)
        if last is not None:
            wait = last + delay - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = self._clock()

    def robots_for(self, url: str) -> Protego | None:
        """Parsed robots.txt of the URL's host (fetched and captured once per host).
        None means: robots.txt missing or 4xx, so everything is allowed."""
        parts = urlsplit(url)
        host = host_of(url)
        if host in self._robots:
            return self._robots[host]
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        res = self._fetch(robots_url, kind="robots", check_robots=False)
        if res.ok:
            parsed = Protego.parse(res.body.decode("utf-8", errors="replace"))
        elif res.status is not None and 400 <= res.status < 500:
            parsed = None
        else:
            # 5xx or no answer: be conservative, as the big crawlers are, and allow nothing this run.
            parsed = Protego.parse("User-agent: *\nDisallow: /")
        self._robots[host] = parsed
        return parsed

    def allowed_by_robots(self, url: str) -> bool:
        robots = self.robots_for(url)
        return robots is None or robots.can_fetch(url, self.settings.user_agent)

    def sitemaps_from_robots(self, url: str) -> list[str]:
        robots = self.robots_for(url)
        return list(robots.sitemaps) if robots is not None else []

    # -- fetching ---------------------------------------------------------------------------
    def get(self, url: str, *, kind: str, meta: dict | None = None, conditional: dict[str, str] | None = None) -> FetchResult:
        """Fetch url politely. ``conditional`` may carry etag / last_modified for a conditional GET."""
        return self._fetch(url, kind=kind, meta=meta or {}, conditional=conditional)

    def _fetch(self, url: str, *, kind: str, meta: dict | None = None, conditional: dict[str, str] | None = None,
               check_robots: bool = True) -> FetchResult:
        meta = dict(meta or {})
        base_meta = {"kind": kind, **meta}
        if not self._host_allowed(url):
            return self._fail(url, url, "private_address", f"{host_of(url)} resolves to a private address", base_meta, 0)
        if check_robots and not self.allowed_by_robots(url):
            return self._fail(url, url, "blocked_by_robots", "disallowed by robots.txt", base_meta, 0)
        headers = {}
        if conditional:
            if conditional.get("etag"):
                headers["If-None-Match"] = conditional["etag"]
            if conditional.get("last_modified"):
                headers["If-Modified-Since"] = conditional["last_modified"]
        current = url
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            self._wait_turn(host_of(current))
            t0 = self._clock()
            fetched_at = _utcnow()
            try:
                resp = self.session.get(current, headers=headers, stream=True, allow_redirects=False,
                                        timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s))
            except requests.RequestException as exc:
                fc = _classify_exception(exc)
                elapsed = int((self._clock() - t0) * 1000)
                if fc in ("timeout", "connect") and attempt <= self.settings.retries:
                    self._record_failure(current, fc, str(exc), base_meta, attempt, elapsed, fetched_at)
                    self._sleep(self.settings.backoff_s * 2 ** (attempt - 1))
                    continue
                return self._fail(url, current, fc, f"{type(exc).__name__}: {exc}", base_meta, attempt, elapsed, fetched_at)
            with resp:
                if resp.is_redirect and "location" in resp.headers:
                    target = urljoin(current, resp.headers["location"])
                    elapsed = int((self._clock() - t0) * 1000)
                    self.recorder.write_response(current, resp.status_code, resp.reason, list(resp.headers.items()), b"",
                                                 {**base_meta, "attempt": attempt, "elapsed-ms": elapsed,
                                                  "fetched-at": fetched_at.isoformat(), "redirect-to": target})
                    redirects += 1
                    if urlsplit(target).scheme not in ("http", "https") or not self._host_allowed(target):
                        return self._fail(url, target, "redirect_refused",
                                          f"redirect to {target} refused (not http(s) or private address)", base_meta, attempt)
                    if redirects > MAX_REDIRECTS:
                        return self._fail(url, target, "too_many_redirects", f"more than {MAX_REDIRECTS} redirects",
                                          base_meta, attempt)
                    if check_robots and not self.allowed_by_robots(target):
                        return self._fail(url, target, "blocked_by_robots", f"redirect target {target} disallowed by robots.txt",
                                          base_meta, attempt)
                    current = target
                    attempt = 0
                    continue
                body, too_large = self._read_capped(resp)
                elapsed = int((self._clock() - t0) * 1000)
                status = resp.status_code
                failure = None
                if too_large:
                    failure = "too_large"
                elif 400 <= status < 500:
                    failure = "http_4xx"
                elif status >= 500:
                    failure = "http_5xx"
                rec_meta = {**base_meta, "attempt": attempt, "elapsed-ms": elapsed, "fetched-at": fetched_at.isoformat(),
                            "failure-class": failure or ""}
                if too_large:
                    self.recorder.write_failure(current, {**rec_meta, "status": status,
                                                          "error": f"body larger than {self.settings.max_bytes} bytes"})
                else:
                    self.recorder.write_response(current, status, resp.reason, list(resp.headers.items()), body, rec_meta)
                if status in RETRY_STATUSES and attempt <= self.settings.retries:
                    wait = _retry_after_s(resp.headers.get("retry-after"))
                    self._sleep(wait if wait is not None else self.settings.backoff_s * 2 ** (attempt - 1))
                    continue
                return FetchResult(url=url, final_url=current, status=status, body=b"" if too_large else body,
                                   headers={k.lower(): v for k, v in resp.headers.items()}, failure_class=failure,
                                   error=f"HTTP {status}" if failure and not too_large else
                                   (f"body larger than {self.settings.max_bytes} bytes" if too_large else None),
                                   fetched_at=fetched_at, attempts=attempt, elapsed_ms=elapsed)

    def _read_capped(self, resp: requests.Response) -> tuple[bytes, bool]:
        """Read the (decompressed) body up to max_bytes; decompressed size is what counts, so a
        gzip bomb stops at the cap."""
        cap = self.settings.max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap and "content-encoding" not in resp.headers:
            return b"", True
        chunks, size = [], 0
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > cap:
                return b"", True
            chunks.append(chunk)
        return b"".join(chunks), False

    def _record_failure(self, url, fc, error, meta, attempt, elapsed=0, fetched_at=None) -> None:
        self.recorder.write_failure(url, {**meta, "attempt": attempt, "elapsed-ms": elapsed, "failure-class": fc,
                                          "error": error, "fetched-at": (fetched_at or _utcnow()).isoformat()})

    def _fail(self, url, final_url, fc, error, meta, attempt, elapsed=0, fetched_at=None) -> FetchResult:
        fetched_at = fetched_at or _utcnow()
        self._record_failure(final_url, fc, error, meta, attempt, elapsed, fetched_at)
        log.warning("fetch %s failed: %s (%s)", final_url, fc, error)
        return FetchResult(url=url, final_url=final_url, status=None, body=b"", headers={}, failure_class=fc,
                           error=error, fetched_at=fetched_at, attempts=attempt, elapsed_ms=elapsed)

    def close(self) -> None:
        self.session.close()


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a page: charset from the HTTP header, then <meta charset>, then detection
    (charset_normalizer handles windows-1256 pages with no declared charset). Returns (text, encoding)."""
    import re

    from charset_normalizer import from_bytes

    candidates = []
    if content_type and "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=")[-1].split(";")[0].strip(" \"'"))
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", body[:4096], re.IGNORECASE)
    if m:
        candidates.append(m.group(1).decode("ascii").lower())
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000], cp_isolation=["cp1256", "iso8859_6", "utf_8", "cp1252"]).best()
    if best is None:
        raise UnicodeDecodeError("unknown", body[:1], 0, 1, "no charset could decode the page")
    return body.decode(best.encoding, errors="replace"), best.encoding
