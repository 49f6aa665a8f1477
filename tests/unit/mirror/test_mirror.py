"""Every simulated outlet of the mirror is discoverable and extractable through the real crawl and
process stages; the defaults stay what the demo and the DAG test expect."""

import urllib.request
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from marsad.config import load_outlets
from marsad.crawl.crawler import crawl_outlet
from marsad.lake import writer
from marsad.mirror.server import FAULTS, SITES, Mirror, bench_sites
from marsad.process import process_outlet


@pytest.fixture
def all_sites(tmp_path, mirror_anchor):
    from tests_support import free_port_range

    m = Mirror(base_port=free_port_range(len(SITES) + 2), anchor=mirror_anchor, sites="all").start()
    m.config_path = m.write_outlets_config(tmp_path / "outlets.yaml")
    yield m
    m.stop()


def test_defaults_are_the_three_original_outlets(mirror):
    assert mirror.site_ids == ["tahyamisr", "alwasat", "sudanile"] and not mirror.faults
    assert [o.id for o in load_outlets(mirror.config_path).outlets] == mirror.site_ids


def test_every_outlet_crawls_and_extracts(all_sites, mirror_anchor, lake):
    assert len(all_sites.site_ids) >= 8
    start = mirror_anchor - timedelta(hours=3)
    for sid in all_sites.site_ids:
        summary = crawl_outlet(sid, start, lake=lake, config_path=all_sites.config_path)
        assert summary["articles_fetched"] >= 1 and not summary["discovery_problems"], (sid, summary)
        process_outlet(sid, start, lake=lake, config_path=all_sites.config_path)
        rows = pq.read_table(writer.staging_dir(lake, sid, start) / "candidates.parquet").to_pylist()
        good = [r for r in rows if r["title"] and r["published_at"] and r["language"] == "ar" and not r["extraction_error"]]
        assert good, (sid, rows[:2])
        # one article, one canonical URL: no tracking parameters, no AMP spelling
        assert not any("utm_" in r["canonical_url"] or "/amp" in r["canonical_url"] for r in rows), sid
    # windows-1256 without a declared charset decoded; the AMP + plain spellings fetched once
    masrawy = pq.read_table(writer.staging_dir(lake, "masrawy", start) / "candidates.parquet").to_pylist()
    assert any("ال" in (r["title"] or "") for r in masrawy)
    fetched = [p for s, p in all_sites.requests if s == "libyaalahrar" and p[1:5].isdigit()]
    assert len(fetched) == len({p.removesuffix("amp/") for p in fetched})


def test_conditional_get_and_fault_switches(all_sites):
    base = all_sites.base_url("youm7")
    first = urllib.request.urlopen(base + "/feed.json", timeout=5)
    etag = first.headers["ETag"]
    req = urllib.request.Request(base + "/feed.json", headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 304
    assert b"/fault/" not in urllib.request.urlopen(base + "/feed.json", timeout=5).read()
    all_sites.set_faults("youm7", ["http_5xx", "not_html"])
    body = urllib.request.urlopen(base + "/feed.json", timeout=5).read()
    assert b"/fault/http_5xx/503" in body and b"/fault/not_html/pdf" in body
    with pytest.raises(ValueError, match="unknown fault"):
        all_sites.set_faults("youm7", ["nosuch"])
    assert set(FAULTS) >= {"dns", "connect", "timeout", "http_4xx", "http_5xx", "blocked_by_robots", "too_large",
                           "bad_encoding", "not_html", "redirect_refused"}


def test_bench_sites_and_articles_per_site(mirror_anchor):
    sites = bench_sites(20)
    assert len({s.id for s in sites}) == 20
    m = Mirror(base_port=0, anchor=mirror_anchor, sites=sites, articles_per_site=50, window_minutes=58)
    try:
        assert all(len(m.visible(s.id)) == 50 for s in sites)
        assert all(mirror_anchor - timedelta(hours=1) <= a.published < mirror_anchor for a in m.articles)
        assert len(m.outlets_config()["outlets"]) == 20
    finally:
        m.stop()
