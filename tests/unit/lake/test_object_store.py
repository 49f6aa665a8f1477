"""The lake on an S3-compatible object store (moto's server on 127.0.0.1): the hourly pipeline, the analyst
reads (DuckDB through fsspec, no httpfs extension), re-runs, compaction and `marsad lake stats`, compared
with a local-lake run of the same hours."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

pytest.importorskip("moto.server")
pytest.importorskip("s3fs")

BUCKET = "marsad-test"
SEED_TITLE = "رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي"
COLS = "article_id, outlet, date::VARCHAR, interval_start, url, title, topics, rules_version"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch):
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for k, v in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "marsad-test",
                 "AWS_SECRET_ACCESS_KEY": "marsad-test-secret", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(k, raising=False)
    import boto3
    import fsspec

    fsspec.AbstractFileSystem.clear_instance_cache()  # no s3fs instance bound to an earlier endpoint
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    fsspec.AbstractFileSystem.clear_instance_cache()
    server.stop()


def _keys(client, prefix: str) -> list[str]:
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def _articles(lake) -> list[tuple]:
    from marsad.lake.query import connect

    return connect(lake).execute(f"SELECT {COLS} FROM articles ORDER BY article_id").fetchall()


def test_pipeline_on_object_store(s3, mirror, mirror_anchor, tmp_path, monkeypatch, capsys):
    from marsad.cli import main
    from marsad.lake.compact import compact_day
    from marsad.pipeline import run_interval

    monkeypatch.setenv("MARSAD_WORK_DIR", str(tmp_path / "work"))
    uri = f"s3://{BUCKET}/lake"
    local = tmp_path / "local-lake"
    h1, h2 = mirror_anchor - timedelta(hours=3), mirror_anchor - timedelta(hours=2)
    for lake in (uri, local):
        monkeypatch.setenv("MARSAD_LAKE", str(lake))
        for h in (h1, h2):
            results = run_interval(h, config_path=mirror.config_path)
            assert results and all(r["ok"] for r in results), results

    # the contract keys
    keys = _keys(s3, "lake/")
    iid, day = f"{h1:%Y%m%dT%H}", f"{h1:%Y-%m-%d}"
    assert f"lake/articles/date={day}/outlet=tahyamisr/part-{iid}.parquet" in keys
    assert f"lake/raw/outlet=tahyamisr/date={day}/hour={h1:%H}/tahyamisr-{iid}.warc.gz" in keys
    assert any(k.startswith(f"lake/fetch_log/date={day}/outlet=") and k.endswith(f"part-{iid}.parquet") for k in keys)
    assert any(k.startswith(f"lake/runs/date={day}/{iid}-") and k.endswith(".json") for k in keys)
    assert "lake/state/frontier/tahyamisr.json" in keys
    assert any(k.startswith("lake/quality/validations/") for k in keys)
    assert not [k for k in keys if k.startswith("lake/_staging/")]  # staging cleared after publish
    assert not [k for k in keys if k.rsplit("/", 1)[-1].startswith(".") or k.endswith((".tmp", ".part"))]
    # the same keys as the local lake (staging and GX results aside)
    local_keys = sorted("lake/" + p.relative_to(local).as_posix() for p in local.rglob("*")
                        if p.is_file() and not p.relative_to(local).parts[0] in ("quality", "_staging"))
    assert [k for k in keys if not k.startswith("lake/quality/")] == local_keys

    # DuckDB over s3:// (fsspec, hive partitioning): the same rows as the local lake
    rows = _articles(uri)
    assert rows and rows == _articles(local)
    assert {r[2] for r in rows} == {day}
    seed = [r for r in rows if r[5] and r[5].startswith(SEED_TITLE)]
    assert len(seed) == 1 and seed[0][6] == ["libya", "sudan", "ramadan_diplomacy"]

    # a re-run of one hour replaces that hour's files: no duplicates
    monkeypatch.setenv("MARSAD_LAKE", uri)
    assert all(r["ok"] for r in run_interval(h1, config_path=mirror.config_path))
    again = _articles(uri)
    assert again == rows and len({r[0] for r in again}) == len(again)

    # compaction of the day on S3: one file per outlet and table, same rows
    report = compact_day(h1.date(), lake=uri)
    assert report["files_after"] < report["files_before"]
    keys = _keys(s3, "lake/articles/")
    assert keys and all(k.endswith(f"part-{h1:%Y%m%d}.parquet") for k in keys)
    assert _articles(uri) == rows

    # the daily products and the media monitor read and write the object store too
    from marsad.lake.clusters import build_clusters
    from marsad.monitor import monitor_data
    from marsad.quality.suites import build_data_docs
    from marsad.report import build_daily_report

    build_clusters(h1.date(), lake=uri)
    build_daily_report(h1.date(), lake=uri, config_path=mirror.config_path)
    docs = build_data_docs(lake=uri, day=h1.date())
    assert docs["index"] == f"{uri}/quality/data_docs/index.html" and docs["validation_results"] > 0
    keys = _keys(s3, "lake/")
    assert f"lake/reports/date={day}/report.html" in keys and "lake/quality/data_docs/index.html" in keys
    assert monitor_data(uri, config_path=mirror.config_path)["lake"] == uri

    # the analyst CLI
    assert main(["lake", "stats", "--lake", uri]) in (0, None)
    out = capsys.readouterr().out
    assert f"lake: {uri}" in out and f"articles: {len(rows)} rows" in out
