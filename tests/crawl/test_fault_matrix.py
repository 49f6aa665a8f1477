"""The fault matrix: every failure class driven through the real fetch code against the mirror
(127.0.0.1 only; `dns` uses an RFC 2606 `.invalid` host that fails at resolution without traffic)."""

from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from marsad.crawl.capture import read_warc
from marsad.crawl.crawler import crawl_outlet
from marsad.crawl.health import health_from_rows
from marsad.lake import writer
from marsad.mirror.server import FAULTS, SITES, Mirror
from marsad.process import process_outlet

pytestmark = pytest.mark.slow
EXPECTED = set(FAULTS)  # dns connect timeout http_4xx http_5xx blocked_by_robots too_large bad_encoding not_html
#                         redirect_refused too_many_redirects private_address


@pytest.fixture
def fault_mirror(tmp_path, mirror_anchor):
    from tests_support import free_port_range

    m = Mirror(base_port=free_port_range(len(SITES) + 2), anchor=mirror_anchor, sites=["youm7", "tahyamisr"],
               faults={"youm7": list(FAULTS)}, read_timeout_s=0.4, slow_s=1.0).start()
    m.config_path = m.write_outlets_config(tmp_path / "outlets.yaml")
    yield m
    m.stop()


def test_every_failure_class_logged_and_good_articles_captured(fault_mirror, mirror_anchor, lake):
    start = mirror_anchor - timedelta(hours=3)
    summary = crawl_outlet("youm7", start, lake=lake, config_path=fault_mirror.config_path)  # finishes, no raise
    process_outlet("youm7", start, lake=lake, config_path=fault_mirror.config_path)
    fetch_log = pq.read_table(writer.staging_dir(lake, "youm7", start) / "fetch_log.parquet").to_pylist()
    logged = {r["failure_class"] for r in fetch_log if r["failure_class"]}
    assert EXPECTED <= logged, EXPECTED - logged
    # every failure row says why
    assert all(r["error"] or r["status"] for r in fetch_log if r["failure_class"])

    # every good article of the outlet-hour is captured with its body
    end = start + timedelta(hours=1)
    good = {f"{fault_mirror.base_url('youm7')}{a.path}" for a in fault_mirror.visible("youm7") if a.published < end}
    assert good
    captured = {r.url for r in read_warc(writer.raw_path(lake, "youm7", start))
                if r.kind == "article" and r.status == 200 and not r.failure_class and r.body}
    assert good <= captured
    assert summary["articles_fetched"] >= len(good) + len([p for ps in FAULTS.values() for p in ps])

    # the failures show in the outlet's health; the private-address feed never left the machine
    health = health_from_rows("youm7", fetch_log)
    assert health.status == "degraded" and health.latest.failures >= len(EXPECTED) - 1
    assert not any(path == "/rss.xml" and site != "tahyamisr" for site, path in fault_mirror.requests)

    # transient failures are retried in the next interval (at most twice), final ones are not
    crawl_outlet("youm7", end, lake=lake, config_path=fault_mirror.config_path)
    again = [p for s, p in fault_mirror.requests if s == "youm7" and p.startswith("/fault/")]
    assert again.count("/fault/http_4xx/410") == 1 and again.count("/fault/not_html/pdf") == 1
    assert again.count("/fault/http_5xx/503") == 4  # 2 attempts in each of 2 intervals


def test_recrawl_fetches_each_article_once_and_304_costs_one_request(fault_mirror, mirror_anchor, lake):
    cfg = fault_mirror.config_path
    first = mirror_anchor - timedelta(hours=3)
    for h in range(3):
        crawl_outlet("tahyamisr", first + timedelta(hours=h), lake=lake, config_path=cfg)
    article_paths = [p for s, p in fault_mirror.requests if s == "tahyamisr" and p not in ("/rss.xml", "/robots.txt")]
    assert len(article_paths) == len(set(article_paths)) > 5
    assert fault_mirror.requests.count(("tahyamisr", "/robots.txt")) == 1  # robots.txt cached in the frontier

    before = len(fault_mirror.requests)
    res = crawl_outlet("tahyamisr", mirror_anchor, lake=lake, config_path=cfg)  # nothing new: the feed answers 304
    assert fault_mirror.requests[before:] == [("tahyamisr", "/rss.xml")]
    assert res["requests"] == 1 and res["articles_fetched"] == 0
    recs = list(read_warc(writer.raw_path(lake, "tahyamisr", mirror_anchor)))
    assert [(r.kind, r.status) for r in recs] == [("feed", 304)]
