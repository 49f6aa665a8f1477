"""Polite HTTP client: robots.txt, per-host delay, retries with backoff, size cap, safe redirects.

Every attempt (including refusals that never reach the network) is handed to a ``recorder``
(usually a :class:`marsad.crawl.capture.WarcCapture`), so the raw capture and the fetch log are
complete. Failures never raise: they come back as a :class:`FetchResult` with a ``failure_class``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
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


_TIMEOUT_MARKERS = ("Read timed out", "timed out", "ReadTimeoutError", "ConnectTimeoutError")
_DNS_MARKERS = ("NameResolutionError", "Name or service not known", "getaddrinfo", "nodename nor servname",
                "Temporary failure in name resolution", "No address associated")


def _classify_exception(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, (requests.exceptions.Timeout, socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "error"
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError, ConnectionError)):
        if any(m in text for m in _DNS_MARKERS):
            return "dns"
        if any(m in text for m in _TIMEOUT_MARKERS):
            return "timeout"
        return "connect"
    return "error"


def _retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            delta = (parsedate_to_datetime(value) - _utcnow()).total_seconds()
            return max(0.0, delta)
        except (TypeError, ValueError):
            return None


# -- content checks (article and listing pages must be decodable HTML) ------------------------
HTML_TYPES = ("text/html", "application/xhtml+xml")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"PK\x03\x04", b"\x1f\x8b", b"RIFF",
                 b"ID3", b"OggS", b"fLaC", b"\x00\x00\x00", b"BM")
_LOOKS_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|article|div|p)[\s>/]", re.IGNORECASE)
MAX_BAD_CHAR_SHARE = 0.02


def content_failure(body: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    """(failure_class, reason) for a 2xx page that must be HTML: ``not_html`` when the content type or
    the bytes say it is something else (PDF, image, JSON…), ``bad_encoding`` when no charset decodes it
    into text (or the result is mostly replacement/control characters). (None, None) when fine."""
    mime = (content_type or "").split(";")[0].strip().lower()
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if any(head.startswith(m) for m in _BINARY_MAGIC):
        return "not_html", f"binary content ({head[:4]!r}) served as {mime or 'no content type'}"
    if mime and mime not in HTML_TYPES and not _LOOKS_HTML.search(head):
        return "not_html", f"content type {mime} is not HTML"
    if not body.strip():
        return "not_html", "empty body"
    try:
        text, enc = decode_html(body, content_type)
    except UnicodeDecodeError as exc:
        return "bad_encoding", f"no charset decodes the page ({exc.reason})"
    sample = text[:200_000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    if sample and bad / len(sample) > MAX_BAD_CHAR_SHARE:
        return "bad_encoding", f"{bad} of {len(sample)} characters undecodable as {enc}"
    return None, None


# -- per-host gates: politeness delay and concurrency shared by every fetcher of the process ---------
class HostGate:
    """Per host: at most ``limit`` requests in flight, and request starts at least ``delay`` apart."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self.slots = threading.BoundedSemaphore(self.limit)
        self.lock = threading.Lock()
        self.next_start: float | None = None
        self.in_flight = 0
        self.max_in_flight = 0  # observed, for tests and the benchmark

    def reserve(self, delay: float, clock) -> float:
        """Claim the next start time; returns how long the caller must wait before sending."""
        with self.lock:
            now = clock()
            start = now if self.next_start is None else max(now, self.next_start)
            self.next_start = start + delay
            return start - now


class GateRegistry:
    def __init__(self):
        self._gates: dict[str, HostGate] = {}
        self._lock = threading.Lock()

    def get(self, host: str, limit: int) -> HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = HostGate(limit)
            return gate


#: shared by all fetchers of the process that use the real clock (crawl threads, the benchmark)
SHARED_GATES = GateRegistry()
DEFAULT_HOST_CONCURRENCY = 2
ROBOTS_TTL_S = 24 * 3600.0


@dataclass
class RobotsState:
    """What robots.txt says for a host: ``parser`` None means "no robots.txt, all allowed";
    ``failure_class`` set means robots.txt could not be fetched, and nothing on the host is fetched
    this run (5xx/429 → blocked_by_robots, network errors → their class)."""

    parser: Protego | None
    status: int | None = None
    failure_class: str | None = None
    error: str | None = None
    from_cache: bool = False

    def describe(self) -> str:
        if self.failure_class:
            return f"unavailable ({self.failure_class}: {self.error}); nothing fetched from this host"
        if self.parser is None:
            return f"absent (HTTP {self.status}): everything allowed"
        src = " (cached)" if self.from_cache else ""
        return f"ok (HTTP {self.status}){src}"


class PoliteFetcher:
    """One per crawl task. Thread-safe: per-host politeness (delay, Crawl-Delay, concurrency) is
    enforced through gates shared by all fetchers of the process (``SHARED_GATES``).

    ``robots_cache`` (a dict, usually the frontier's) keeps parsed-able robots.txt bodies across runs
    for ``ROBOTS_TTL_S``, so an unchanged outlet costs one conditional feed request per hour."""

    def __init__(self, settings: CrawlSettings, recorder: Recorder | None = None, *, delay_s: float | None = None,
                 sleep=time.sleep, clock=time.monotonic, robots_cache: dict | None = None,
                 host_concurrency: int | None = None, gates: GateRegistry | None = None):
        self.settings = settings
        self.recorder = recorder or NullRecorder()
        self.delay_s = settings.delay_s if delay_s is None else delay_s
        self._sleep = sleep
        self._clock = clock
        self.host_concurrency = host_concurrency or getattr(settings, "max_concurrency_per_host", None) \
            or DEFAULT_HOST_CONCURRENCY
        # a fetcher with an injected clock (tests) must not share gate times with real-clock fetchers
        self._gates = gates or (SHARED_GATES if clock is time.monotonic else GateRegistry())
        self._robots: dict[str, RobotsState] = {}
        self._robots_lock = threading.RLock()
        self._host_ok: dict[str, bool] = {}
        self._rec_lock = threading.Lock()
        self.robots_cache = robots_cache if robots_cache is not None else {}
        self._allowed_private = {h.lower() for h in settings.allow_private_hosts}
        self.requests_sent = 0
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=max(4, self.host_concurrency * 2))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate",
                                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                     "Accept-Language": "ar,en;q=0.5"})

    # -- politeness -------------------------------------------------------------------------
    def _host_allowed(self, url: str) -> bool:
        host = host_of(url)
        if host in self._host_ok:
            return self._host_ok[host]
        hostname = urlsplit(url).hostname or ""
        ok = host in self._allowed_private or hostname in self._allowed_private or not is_private_host(hostname)
        self._host_ok[host] = ok
        return ok

    def _delay_for(self, host: str) -> float:
        delay = self.delay_s
        state = self._robots.get(host)
        if state is not None and state.parser is not None:
            cd = state.parser.crawl_delay(self.settings.user_agent)
            if cd:
                delay = max(delay, min(float(cd), MAX_RETRY_AFTER_S))
        return delay

    def robots_state(self, url: str) -> RobotsState:
        """robots.txt of the URL's host: from this run, from ``robots_cache`` (fresh), or fetched
        (and captured) once."""
        parts = urlsplit(url)
        host = host_of(url)
        with self._robots_lock:
            if host in self._robots:
                return self._robots[host]
            cached = self.robots_cache.get(host)
            if cached and time.time() - float(cached.get("fetched_ts", 0)) < ROBOTS_TTL_S:
                parser = Protego.parse(cached["body"]) if cached.get("body") is not None else None
                state = RobotsState(parser, cached.get("status"), from_cache=True)
                self._robots[host] = state
                return state
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            res = self._fetch(robots_url, kind="robots", check_robots=False)
            if res.ok:
                body = res.body.decode("utf-8", errors="replace")
                state = RobotsState(Protego.parse(body), res.status)
                self.robots_cache[host] = {"status": res.status, "body": body, "fetched_ts": time.time()}
            elif res.status is not None and 400 <= res.status < 500 and res.status != 429:
                state = RobotsState(None, res.status)
                self.robots_cache[host] = {"status": res.status, "body": None, "fetched_ts": time.time()}
            elif res.status is not None:
                # 5xx/429: be conservative, as the big crawlers are, and fetch nothing from the host this run
                state = RobotsState(Protego.parse("User-agent: *\nDisallow: /"), res.status, "blocked_by_robots",
                                    f"robots.txt answered HTTP {res.status}")
            else:
                state = RobotsState(None, None, res.failure_class or "error", f"robots.txt unreachable: {res.error}")
            self._robots[host] = state
            return state

    def robots_for(self, url: str) -> Protego | None:
        """Parsed robots.txt of the URL's host; None when robots.txt is missing (everything allowed)."""
        return self.robots_state(url).parser

    def robots_verdict(self, url: str) -> tuple[str | None, str | None]:
        """(failure_class, reason) when robots.txt stops this URL, else (None, None)."""
        state = self.robots_state(url)
        if state.failure_class:
            return state.failure_class, state.error
        if state.parser is not None and not state.parser.can_fetch(url, self.settings.user_agent):
            return "blocked_by_robots", "disallowed by robots.txt"
        return None, None

    def allowed_by_robots(self, url: str) -> bool:
        return self.robots_verdict(url)[0] is None

    def sitemaps_from_robots(self, url: str) -> list[str]:
        parser = self.robots_for(url)
        return list(parser.sitemaps) if parser is not None else []

    # -- fetching ---------------------------------------------------------------------------
    def get(self, url: str, *, kind: str, meta: dict | None = None, conditional: dict[str, str] | None = None) -> FetchResult:
        """Fetch url politely. ``conditional`` may carry etag / last_modified for a conditional GET.
        Article and listing pages are also checked to be decodable HTML (``not_html``, ``bad_encoding``)."""
        return self._fetch(url, kind=kind, meta=meta or {}, conditional=conditional)

    def _record(self, method: str, *args) -> None:
        with self._rec_lock:
            getattr(self.recorder, method)(*args)

    def _attempt(self, url: str, headers: dict) -> dict:
        """One HTTP exchange inside the host's gate. Never raises."""
        host = host_of(url)
        gate = self._gates.get(host, self.host_concurrency)
        with gate.slots:
            wait = gate.reserve(self._delay_for(host), self._clock)
            if wait > 0:
                self._sleep(wait)
            with gate.lock:
                gate.in_flight += 1
                gate.max_in_flight = max(gate.max_in_flight, gate.in_flight)
            t0 = self._clock()
            fetched_at = _utcnow()
            self.requests_sent += 1
            try:
                try:
                    resp = self.session.get(url, headers=headers, stream=True, allow_redirects=False,
                                            timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s))
                except requests.RequestException as exc:
                    return {"exc": exc, "elapsed": int((self._clock() - t0) * 1000), "fetched_at": fetched_at}
                with resp:
                    out = {"status": resp.status_code, "reason": resp.reason, "headers": list(resp.headers.items()),
                           "fetched_at": fetched_at, "body": b"", "too_large": False, "read_error": None}
                    if not (resp.is_redirect and "location" in resp.headers) and resp.status_code != 304:
                        try:
                            out["body"], out["too_large"] = self._read_capped(resp, t0)
                        except (requests.RequestException, OSError, TimeoutError) as exc:
                            out["read_error"] = exc
                    out["elapsed"] = int((self._clock() - t0) * 1000)
                    return out
            finally:
                with gate.lock:
                    gate.in_flight -= 1

    def _fetch(self, url: str, *, kind: str, meta: dict | None = None, conditional: dict[str, str] | None = None,
               check_robots: bool = True) -> FetchResult:
        meta = dict(meta or {})
        base_meta = {"kind": kind, **meta}
        if urlsplit(url).scheme not in ("http", "https"):
            return self._fail(url, url, "error", f"unsupported URL scheme in {url!r}", base_meta, 0)
        if not self._host_allowed(url):
            return self._fail(url, url, "private_address", f"{host_of(url)} resolves to a private address", base_meta, 0)
        if check_robots:
            fc, why = self.robots_verdict(url)
            if fc:
                return self._fail(url, url, fc, why, base_meta, 0)
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
            r = self._attempt(current, headers)
            exc = r.get("exc") or r.get("read_error")
            if exc is not None:
                fc = _classify_exception(exc)
                where = "" if "exc" in r else " (while reading the body)"
                error = f"{type(exc).__name__}{where}: {exc}"
                if fc in ("timeout", "connect") and attempt <= self.settings.retries:
                    self._record_failure(current, fc, error, base_meta, attempt, r["elapsed"], r["fetched_at"])
                    self._sleep(self.settings.backoff_s * 2 ** (attempt - 1))
                    continue
                return self._fail(url, current, fc, error, base_meta, attempt, r["elapsed"], r["fetched_at"])
            status, rheaders = r["status"], r["headers"]
            hmap = {k.lower(): v for k, v in rheaders}
            rec_meta = {**base_meta, "attempt": attempt, "elapsed-ms": r["elapsed"], "fetched-at": r["fetched_at"].isoformat()}
            if 300 <= status < 400 and status != 304 and "location" in hmap:
                target = urljoin(current, hmap["location"])
                self._record("write_response", current, status, r["reason"], rheaders, b"", {**rec_meta, "redirect-to": target})
                redirects += 1
                if urlsplit(target).scheme not in ("http", "https") or not self._host_allowed(target):
                    return self._fail(url, target, "redirect_refused",
                                      f"redirect to {target} refused (not http(s) or private address)", base_meta, attempt)
                if redirects > MAX_REDIRECTS:
                    return self._fail(url, target, "too_many_redirects", f"more than {MAX_REDIRECTS} redirects",
                                      base_meta, attempt)
                if check_robots:
                    fc, why = self.robots_verdict(target)
                    if fc:
                        return self._fail(url, target, fc, f"redirect target {target}: {why}", base_meta, attempt)
                current = target
                attempt = 0
                continue
            body, too_large = r["body"], r["too_large"]
            failure, error = None, None
            if too_large:
                failure, error = "too_large", f"body larger than {self.settings.max_bytes} bytes (after decompression)"
            elif 400 <= status < 500:
                failure, error = "http_4xx", f"HTTP {status}"
            elif status >= 500:
                failure, error = "http_5xx", f"HTTP {status}"
            elif 200 <= status < 300 and kind in ("article", "listing"):
                failure, error = content_failure(body, hmap.get("content-type"))
            rec_meta["failure-class"] = failure or ""
            if too_large:
                self._record("write_failure", current, {**rec_meta, "status": status, "error": error})
            else:
                self._record("write_response", current, status, r["reason"], rheaders, body,
                             {**rec_meta, "error": error if failure in ("not_html", "bad_encoding") else None})
            if status in RETRY_STATUSES and attempt <= self.settings.retries:
                wait = _retry_after_s(hmap.get("retry-after"))
                if wait is None:
                    wait = self.settings.backoff_s * 2 ** (attempt - 1)
                if wait <= MAX_RETRY_AFTER_S:
                    self._sleep(wait)
                    continue
                error = f"HTTP {status}; Retry-After {wait:.0f}s exceeds {MAX_RETRY_AFTER_S:.0f}s, not retried this run"
            if failure:
                log.warning("fetch %s failed: %s (%s)", current, failure, error)
            return FetchResult(url=url, final_url=current, status=status, body=b"" if too_large else body,
                               headers=hmap, failure_class=failure, error=error,
                               fetched_at=r["fetched_at"], attempts=attempt, elapsed_ms=r["elapsed"])

    def _read_capped(self, resp: requests.Response, t0: float) -> tuple[bytes, bool]:
        """Read the (decompressed) body up to max_bytes; decompressed size is what counts, so a
        gzip bomb stops at the cap (read in small chunks: one chunk inflates to at most ~1000x).
        A body that trickles in beyond the total time budget is a timeout."""
        cap = self.settings.max_bytes
        budget = self.settings.connect_timeout_s + 3 * self.settings.read_timeout_s
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap and "content-encoding" not in resp.headers:
            return b"", True
        chunks, size = [], 0
        for chunk in resp.iter_content(16 * 1024):
            size += len(chunk)
            if size > cap:
                return b"", True
            chunks.append(chunk)
            if self._clock() - t0 > budget:
                raise requests.exceptions.ReadTimeout(f"body not complete after {budget:.0f}s (total time budget)")
        return b"".join(chunks), False

    def _record_failure(self, url, fc, error, meta, attempt, elapsed=0, fetched_at=None) -> None:
        self._record("write_failure", url, {**meta, "attempt": attempt, "elapsed-ms": elapsed, "failure-class": fc,
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
