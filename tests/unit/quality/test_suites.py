"""The committed GX suite on a batch with planted bad rows: each bad row gets the right reason codes."""

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marsad.lake import writer
from marsad.pipeline import BatchRejected, publish_outlet, validate_outlet

START = datetime(2026, 2, 12, 9, tzinfo=timezone.utc)
BODY = "أعلنت الحكومة الليبية في طرابلس عن خطة جديدة. " * 10


def good(i, **over):
    row = {"article_id": f"id{i}", "url": f"http://127.0.0.1:1/news/{i}", "canonical_url": f"http://127.0.0.1:1/news/{i}",
           "outlet": "tahyamisr", "outlet_country": "EG", "title": f"عنوان الخبر رقم {i}", "body": BODY,
           "published_at": START + timedelta(minutes=10), "fetched_at": START + timedelta(hours=1), "language": "ar",
           "topics": ["libya"], "topic_hits": [{"topic": "libya", "score": 0.9, "evidence": ["ليبي~"]}],
           "interval_start": START, "extraction_error": None}
    row.update(over)
    return row


def stage(lake, rows):
    d = writer.staging_dir(lake, "tahyamisr", START)
    d.mkdir(parents=True, exist_ok=True)
    schema = writer.TABLES["articles"].append(pa.field("extraction_error", pa.string()))
    pq.write_table(pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema),
                   d / "candidates.parquet")
    pq.write_table(writer.to_table([], "fetch_log"), d / "fetch_log.parquet")


@pytest.fixture
def config(tmp_path):
    p = tmp_path / "outlets.yaml"
    p.write_text("outlets:\n- {id: tahyamisr, name: t, country: EG, discovery: [{type: rss, url: 'http://127.0.0.1:1/rss'}]}\n")
    return p


def test_planted_bad_rows_go_to_quarantine_with_reasons(tmp_path, config):
    lake = tmp_path / "lake"
    rows = [
        good(1),
        good(2, title=None),                                           # title_not_null
        good(3, language="fa"),                                        # language_ar
        good(4, published_at=START + timedelta(days=3)),               # published_not_future
        good(5, published_at=datetime(1970, 1, 2, tzinfo=timezone.utc)),  # published_not_absurdly_old
        good(6, outlet="nosuchoutlet"),                                # outlet_in_config
        good(7, topics=["atlantis"], topic_hits=[{"topic": "atlantis", "score": 1.5, "evidence": []}]),
        good(8, url="not a url"),                                      # url_format
        good(9, body="قصير"),                                          # body_length
        good(10, title=None, body=None, extraction_error="no article body found"),
        good(11),
    ]
    stage(lake, rows)
    summary = validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    assert summary["accepted"] == 2 and summary["quarantined"] == 9
    publish_outlet("tahyamisr", START, lake=lake)
    q = {r["article_id"]: r["reason_codes"]
         for r in pq.read_table(writer.part_path(lake, "quarantine", "tahyamisr", START)).to_pylist()}
    assert q["id2"] == ["title_not_null"]
    assert q["id3"] == ["language_ar"]
    assert q["id4"] == ["published_not_future"]
    assert q["id5"] == ["published_not_absurdly_old"]
    assert q["id6"] == ["outlet_in_config"]
    assert sorted(q["id7"]) == ["scores_in_unit_interval", "topics_in_taxonomy"]
    assert q["id8"] == ["url_format"]
    assert q["id9"] == ["body_length"]
    assert set(q["id10"]) == {"title_not_null", "body_not_null", "extraction_ok"}
    ok = pq.read_table(writer.part_path(lake, "articles", "tahyamisr", START)).column("article_id").to_pylist()
    assert sorted(ok) == ["id1", "id11"]


def test_already_published_article_is_not_published_again(tmp_path, config):
    lake = tmp_path / "lake"
    writer.commit_partition(lake, "articles", "tahyamisr", START - timedelta(hours=1), [good(1, interval_start=START - timedelta(hours=1))])
    stage(lake, [good(1), good(2)])
    summary = validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    assert summary["accepted"] == 1 and summary["already_published"] == 1


def test_critical_batch_failure_stops_publish(tmp_path, config, monkeypatch):
    import marsad.quality.suites as suites

    real = suites.load_suite_json

    def with_batch_check(name):
        spec = real(name)
        spec["expectations"].append({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 5},
                                     "meta": {"name": "min_rows", "severity": "critical", "level": "batch"}})
        return spec

    monkeypatch.setattr(suites, "load_suite_json", with_batch_check)
    lake = tmp_path / "lake"
    stage(lake, [good(1)])
    with pytest.raises(BatchRejected, match="min_rows"):
        validate_outlet("tahyamisr", START, lake=lake, config_path=config)
