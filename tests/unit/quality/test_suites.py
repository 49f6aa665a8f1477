"""The committed GX suite on a batch with planted bad rows: each bad row gets the right reason codes."""

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from marsad.lake import writer
from marsad.pipeline import BatchRejected, publish_outlet, validate_outlet
from marsad.quality.quarantine import rejected_manifest_path

START = datetime(2026, 2, 12, 9, tzinfo=UTC)
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
        good(5, published_at=datetime(1970, 1, 2, tzinfo=UTC)),  # published_not_absurdly_old
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
    # operators see why: the failed check and the values that failed it
    detail = {r["article_id"]: r["reason_detail"]
              for r in pq.read_table(writer.part_path(lake, "quarantine", "tahyamisr", START)).to_pylist()}
    assert detail["id3"] == "language_ar: language='fa'"
    assert detail["id4"].startswith("published_not_future: published_at=2026-02-15T09:00:00+00:00, fetched_at=2026-02-12T10:00:00+00:00")
    assert detail["id9"] == "body_length: body='قصير' (length 4)"
    assert "extraction_ok: extraction_error='no article body found'" in detail["id10"]


def test_already_published_article_is_not_published_again(tmp_path, config):
    lake = tmp_path / "lake"
    writer.commit_partition(lake, "articles", "tahyamisr", START - timedelta(hours=1), [good(1, interval_start=START - timedelta(hours=1))])
    stage(lake, [good(1), good(2)])
    summary = validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    assert summary["accepted"] == 1 and summary["already_published"] == 1


def test_critical_batch_failure_stops_publish(tmp_path, config, monkeypatch):
    from marsad.quality import suites

    real = suites.load_suite_json

    def with_batch_check(name, lake=None):
        spec = real(name, lake)
        spec["expectations"].append({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 5},
                                     "meta": {"name": "min_rows", "severity": "critical", "level": "batch"}})
        return spec

    monkeypatch.setattr(suites, "load_suite_json", with_batch_check)
    lake = tmp_path / "lake"
    stage(lake, [good(1)])
    with pytest.raises(BatchRejected, match="min_rows"):
        validate_outlet("tahyamisr", START, lake=lake, config_path=config)


def fetch_rows(n_ok, n_failed, outlet="tahyamisr"):
    return [{"outlet": outlet, "interval_start": START, "url": f"http://127.0.0.1:1/news/{i}", "kind": "article",
             "attempt": 1, "status": 200 if i < n_ok else None, "failure_class": None if i < n_ok else "timeout",
             "fetched_at": START + timedelta(minutes=i)} for i in range(n_ok + n_failed)]


def stage_fetch_log(lake, rows):
    pq.write_table(writer.to_table(rows, "fetch_log"), writer.staging_dir(lake, "tahyamisr", START) / "fetch_log.parquet")


def test_committed_file_context_loads_suites_and_stays_read_only(tmp_path, config, monkeypatch):
    """include/gx is a real GX 1.x file context; validating writes results to <lake>/quality, never the repo."""
    import hashlib

    import great_expectations as gx
    from marsad.quality.suites import GX_DIR, build_data_docs

    def snapshot():
        return {str(p.relative_to(GX_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(GX_DIR.rglob("*")) if p.is_file()}

    before = snapshot()
    monkeypatch.setenv("MARSAD_QUALITY_DIR", str(tmp_path / "q"))
    ctx = gx.get_context(mode="file", project_root_dir=str(GX_DIR.parent))
    assert type(ctx).__name__ == "FileDataContext"
    assert {"articles", "fetch_log"} <= {s.name for s in ctx.suites.all()}
    sev = {e.meta["name"]: e.meta["severity"] for e in ctx.suites.get("fetch_log").expectations}
    assert sev["fetch_error_rate"] == "warning" and sev["extraction_collapse"] == "critical"

    lake = tmp_path / "lake"
    stage(lake, [good(1), good(2, language="fa")])
    validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    results = list((lake / "quality" / "validations").rglob("*.json"))
    assert {p.parts[len((lake / "quality" / "validations").parts)] for p in results} >= {"articles", "fetch_log"}
    docs = build_data_docs(lake)
    assert (lake / "quality" / "data_docs" / "index.html").exists() and docs["validation_results"] >= 2
    assert snapshot() == before, "validation or Data Docs wrote into include/gx"


def test_same_story_under_another_url_of_the_outlet_is_not_published_again(tmp_path, config):
    from marsad.process import simhash64, title_key

    lake = tmp_path / "lake"
    h8 = START - timedelta(hours=1)
    title = "الحكومة الليبية تعلن خطة جديدة في طرابلس"
    first = good(1, title=title, title_key=title_key(title), simhash=simhash64(BODY), interval_start=h8)
    writer.commit_partition(lake, "articles", "tahyamisr", h8, [first])
    other_body = "قال مسؤولون في الخرطوم إن المفاوضات بشأن السودان ستستأنف الأسبوع المقبل في جدة. " * 10
    stage(lake, [
        good(2, url="http://127.0.0.1:1/amp/1", title=title + "!", title_key=title_key(title + "!"),
             simhash=simhash64(BODY)),                                              # same story, other URL
        good(3, title=title, title_key=title_key(title), simhash=simhash64(other_body), body=other_body),  # same headline, new story
    ])
    summary = validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    assert summary["same_story_published"] == 1 and summary["accepted"] == 1
    publish_outlet("tahyamisr", START, lake=lake)
    ok = pq.read_table(writer.part_path(lake, "articles", "tahyamisr", START)).column("article_id").to_pylist()
    assert ok == ["id3"]


def test_batch_warnings_go_to_the_manifest(tmp_path, config):
    lake = tmp_path / "lake"
    for h in range(1, 8):  # trailing history: 10 articles per hour
        t = START - timedelta(hours=h)
        writer.write_json_atomic({"rows": {"articles": 10}}, writer.manifest_path(lake, t, "tahyamisr"))
    stage(lake, [good(1), good(2, language="fa"), good(3, language="fa")])
    stage_fetch_log(lake, fetch_rows(3, 3))
    summary = validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    names = {w.split(":")[0] for w in summary["warnings"]}
    assert names == {"fetch_error_rate", "quarantine_rate", "volume_drop"}
    assert summary["batch"]["volume_ratio"] == 0.1 and summary["batch"]["fetch_error_rate"] == 0.5
    publish_outlet("tahyamisr", START, lake=lake)
    manifest = json.loads(writer.manifest_path(lake, START, "tahyamisr").read_text())
    assert manifest["status"] == "published"
    assert {w.split(":")[0] for w in manifest["warnings"]} == names
    assert any("check fetch_log.failure_class" in w for w in manifest["warnings"])


def test_extraction_collapse_rejects_the_outlet_hour(tmp_path, config):
    """The committed fetch_log suite's critical check: nothing is published, the reason is on record."""
    lake = tmp_path / "lake"
    writer.commit_partition(lake, "articles", "tahyamisr", START, [good(99)])  # an earlier run's rows stay
    stage(lake, [good(i, title=None, body=None, extraction_error="no article body found") for i in range(12)])
    with pytest.raises(BatchRejected, match="extraction_collapse.*nothing published"):
        validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    rejected = json.loads(rejected_manifest_path(lake, START, "tahyamisr").read_text())
    assert rejected["status"] == "rejected" and "extraction_collapse" in rejected["message"]
    assert pq.read_table(writer.part_path(lake, "articles", "tahyamisr", START)).column("article_id").to_pylist() == ["id99"]


def test_interval_rerun_gives_byte_identical_row_sets(tmp_path, config):
    lake = tmp_path / "lake"
    rows = [good(i) for i in range(1, 6)] + [good(6, language="fa"), good(7, body="قصير")]

    def run():
        stage(lake, rows)
        stage_fetch_log(lake, fetch_rows(6, 1))
        validate_outlet("tahyamisr", START, lake=lake, config_path=config)
        publish_outlet("tahyamisr", START, lake=lake)
        return {t: writer.part_path(lake, t, "tahyamisr", START).read_bytes() for t in ("articles", "quarantine", "fetch_log")}

    first = run()
    tables = {t: pq.read_table(writer.part_path(lake, t, "tahyamisr", START)) for t in first}
    second = run()
    assert second == first  # the very same bytes: same rows, same order, same encoding
    for t, table in tables.items():
        assert pq.read_table(writer.part_path(lake, t, "tahyamisr", START)).equals(table)
    assert len(tables["articles"]) == 5 and len(tables["quarantine"]) == 2 and len(tables["fetch_log"]) == 7


def test_unknown_failure_class_or_foreign_fetch_log_rejects(tmp_path, config):
    lake = tmp_path / "lake"
    stage(lake, [good(1)])
    bad = fetch_rows(2, 1)
    bad[2]["failure_class"] = "gremlins"
    bad[0]["outlet"] = "alwasat"
    stage_fetch_log(lake, bad)
    with pytest.raises(BatchRejected) as err:
        validate_outlet("tahyamisr", START, lake=lake, config_path=config)
    assert "failure_class_known" in str(err.value) and "fetch_log_outlet_matches" in str(err.value)
    assert not writer.part_path(lake, "articles", "tahyamisr", START).exists()
