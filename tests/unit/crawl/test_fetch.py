"""The polite client against a real HTTP server on 127.0.0.1 (faults served on purpose)."""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marsad.config import CrawlSettings
from marsad.crawl.capture import WarcCapture, read_warc
from marsad.crawl.fetch import PoliteFetcher, decode_html

HITS: dict[str, int] = {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        HITS[self.path] = HITS.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if self.path == "/ok":
            return self._send(200, "<html><body>مرحبا</body></html>".encode(), "text/html; charset=utf-8")
        if self.path == "/flaky" and HITS[self.path] == 1:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if self.path == "/flaky":
            return self._send(200, b"<html>ok</html>", "text/html")
        if self.path == "/big":
            return self._send(200, b"x" * 5000, "text/html")
        if self.path == "/bomb":
            body = gzip.compress(b"a" * 200_000)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        if self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if self.path == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", "5")
            self.end_headers()
            return self.wfile.write(b"<rss>")
        return self._send(404, b"missing", "text/plain")

    def _send(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    HITS.clear()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def fetcher(base, recorder=None, **kw):
    host = base.split("//")[1]
    settings = CrawlSettings(delay_s=0, retries=2, backoff_s=0.01, max_bytes=1000, allow_private_hosts=[host], **kw)
    return PoliteFetcher(settings, recorder)


def test_private_addresses_refused_unless_allowed(server):
    settings = CrawlSettings(delay_s=0)
    res = PoliteFetcher(settings).get(server + "/ok", kind="article")
    assert res.failure_class == "private_address" and HITS == {}


def test_robots_respected_and_ok_page(server):
    f = fetcher(server)
    assert f.get(server + "/private/x", kind="article").failure_class == "blocked_by_robots"
    assert "/private/x" not in HITS
    res = f.get(server + "/ok", kind="article")
    assert res.ok and decode_html(res.body, res.headers["content-type"])[0].endswith("</html>")
    assert HITS["/robots.txt"] == 1  # cached per host


def test_retry_after_503_then_success(server):
    res = fetcher(server).get(server + "/flaky", kind="article")
    assert res.ok and res.attempts == 2 and HITS["/flaky"] == 2


def test_size_cap_and_decompression_bomb(server):
    f = fetcher(server)
    assert f.get(server + "/big", kind="article").failure_class == "too_large"
    assert f.get(server + "/bomb", kind="article").failure_class == "too_large"


def test_redirect_to_link_local_refused(server):
    res = fetcher(server).get(server + "/to-private", kind="article")
    assert res.failure_class == "redirect_refused"


def test_http_4xx_and_conditional_get(server):
    f = fetcher(server)
    assert f.get(server + "/nope", kind="article").failure_class == "http_4xx"
    first = f.get(server + "/feed", kind="feed")
    second = f.get(server + "/feed", kind="feed", conditional={"etag": first.headers["etag"]})
    assert first.ok and second.not_modified and second.failure_class is None


def test_every_attempt_is_captured(server, tmp_path):
    with WarcCapture(tmp_path / "x.warc.gz") as cap:
        f = fetcher(server, cap)
        f.get(server + "/flaky", kind="article")
        f.get(server + "/private/x", kind="article")
        f.get(server + "/big", kind="article")
    recs = list(read_warc(tmp_path / "x.warc.gz"))
    summary = [(r.kind, r.status, r.failure_class) for r in recs]
    assert summary == [("robots", 200, None), ("article", 503, "http_5xx"), ("article", 200, None),
                       ("article", None, "blocked_by_robots"), ("article", 200, "too_large")]
    assert recs[2].body == b"<html>ok</html>"
    assert not list(tmp_path.glob("*.part"))


def test_windows_1256_without_declared_charset():
    text = "أعلنت الحكومة الليبية في طرابلس اليوم عن خطة جديدة لدعم الاقتصاد الوطني وتحسين الخدمات العامة للمواطنين"
    decoded, enc = decode_html(f"<html><body><p>{text}</p></body></html>".encode("cp1256"), None)
    assert text in decoded and enc.replace("_", "").lower() in ("cp1256", "windows1256")
