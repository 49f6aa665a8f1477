"""Politeness and content checks of the fetcher that need no outlet: gates, Crawl-Delay, robots cache,
Retry-After, not_html / bad_encoding."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marsad.config import CrawlSettings
from marsad.crawl.fetch import GateRegistry, PoliteFetcher, content_failure

STATE = {"in_flight": 0, "max": 0, "hits": {}}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        with LOCK:
            STATE["hits"][self.path] = STATE["hits"].get(self.path, 0) + 1
            STATE["in_flight"] += 1
            STATE["max"] = max(STATE["max"], STATE["in_flight"])
        try:
            if self.path == "/robots.txt":
                body, ctype = b"User-agent: *\nCrawl-delay: 3\n", "text/plain"
            elif self.path == "/busy":
                self.send_response(429)
                self.send_header("Retry-After", "3600")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            else:
                time.sleep(0.05)
                body, ctype = "<html><body><p>خبر</p></body></html>".encode(), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with LOCK:
                STATE["in_flight"] -= 1

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    STATE.update(in_flight=0, max=0, hits={})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def settings(base, **kw):
    return CrawlSettings(delay_s=0, retries=2, backoff_s=0.01, allow_private_hosts=[base.split("//")[1]], **kw)


def test_crawl_delay_from_robots_is_honoured(server):
    slept = []
    now = [1000.0]
    f = PoliteFetcher(settings(server), sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)),
                      clock=lambda: now[0])
    f.get(server + "/a", kind="article")
    f.get(server + "/b", kind="article")
    assert slept and abs(slept[-1] - 3.0) < 0.01  # Crawl-delay: 3 between the two article requests


def test_per_host_concurrency_limit_across_threads(server):
    gates = GateRegistry()
    fetchers = [PoliteFetcher(settings(server), gates=gates, host_concurrency=1, robots_cache={
        server.split("//")[1]: {"status": 404, "body": None, "fetched_ts": time.time()}}) for _ in range(4)]
    threads = [threading.Thread(target=f.get, args=(f"{server}/p{i}",), kwargs={"kind": "article"})
               for i, f in enumerate(fetchers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert STATE["max"] == 1 and "/robots.txt" not in STATE["hits"]  # robots.txt came from the cache


def test_retry_after_beyond_cap_is_not_waited_for(server):
    f = PoliteFetcher(settings(server), robots_cache={server.split("//")[1]: {"status": 404, "body": None,
                                                                              "fetched_ts": time.time()}})
    t0 = time.monotonic()
    res = f.get(server + "/busy", kind="article")
    assert res.failure_class == "http_4xx" and "Retry-After" in res.error and time.monotonic() - t0 < 2
    assert STATE["hits"]["/busy"] == 1


def test_robots_cache_is_filled_for_the_frontier(server):
    cache = {}
    PoliteFetcher(settings(server), robots_cache=cache).get(server + "/a", kind="article")
    (entry,) = cache.values()
    assert entry["status"] == 200 and "Crawl-delay" in entry["body"]


@pytest.mark.parametrize("body, ctype, expected", [
    (b"%PDF-1.4 ...", "application/pdf", "not_html"),
    (b"%PDF-1.4 ...", "text/html", "not_html"),
    (b'{"a": 1}', "application/json", "not_html"),
    (b"", "text/html", "not_html"),
    (b"<html><body>" + bytes((i * 37 + 11) % 256 for i in range(4000)).replace(b"<", b"") + b"</body></html>",
     "text/html", "bad_encoding"),
    ("<html><body><p>أعلنت الحكومة الليبية في طرابلس اليوم عن خطة جديدة</p></body></html>".encode("cp1256"), "text/html", None),
    ("<html><body>مرحبا</body></html>".encode(), "text/html; charset=utf-8", None),
    (b"<!DOCTYPE html><html><body>x</body></html>", "application/octet-stream", None),
])
def test_content_failure(body, ctype, expected):
    assert content_failure(body, ctype)[0] == expected
