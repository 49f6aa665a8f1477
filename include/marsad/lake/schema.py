"""The ONE place the lake's Parquet schemas live. Add columns, never rename (analysts depend on names)."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

TOPIC_HIT = pa.struct([("topic", pa.string()), ("score", pa.float64()), ("evidence", pa.list_(pa.string()))])

ARTICLES = pa.schema([
    ("article_id", pa.string()),
    ("url", pa.string()),
    ("canonical_url", pa.string()),
    ("outlet", pa.string()),
    ("outlet_country", pa.string()),
    ("title", pa.string()),
    ("lead", pa.string()),
    ("body", pa.string()),
    ("author", pa.string()),
    ("published_at", TS),
    ("date_source", pa.string()),
    ("fetched_at", TS),
    ("language", pa.string()),
    ("language_declared", pa.string()),
    ("word_count", pa.int32()),
    ("topics", pa.list_(pa.string())),
    ("topic_hits", pa.list_(TOPIC_HIT)),
    ("people", pa.list_(pa.string())),
    ("places", pa.list_(pa.string())),
    ("title_key", pa.string()),
    ("simhash", pa.int64()),
    ("extraction_method", pa.string()),
    ("rules_version", pa.string()),
    ("pipeline_version", pa.string()),
    ("hijri_date", pa.string()),
    ("interval_start", TS),
])

QUARANTINE = pa.schema(list(ARTICLES) + [
    ("reason_codes", pa.list_(pa.string())),  # failed expectation / check names
    ("reason_detail", pa.string()),
])

FETCH_LOG = pa.schema([
    ("outlet", pa.string()),
    ("interval_start", TS),
    ("url", pa.string()),
    ("kind", pa.string()),  # robots | feed | sitemap | listing | article
    ("attempt", pa.int32()),
    ("status", pa.int32()),
    ("failure_class", pa.string()),  # null = success; see marsad.crawl.fetch.FAILURE_CLASSES
    ("error", pa.string()),
    ("elapsed_ms", pa.int32()),
    ("bytes", pa.int64()),
    ("content_type", pa.string()),
    ("fetched_at", TS),
])

# Near-duplicate clusters across outlets (wire copy), one row per member article, built per day by
# marsad_daily from the day's articles: clusters/date=YYYY-MM-DD/part-YYYYMMDD.parquet
CLUSTERS = pa.schema([
    ("cluster_id", pa.string()),  # article_id of the cluster's earliest member (the likely source)
    ("article_id", pa.string()),
    ("outlet", pa.string()),
    ("published_at", TS),
    ("title", pa.string()),
    ("simhash", pa.int64()),
    ("distance", pa.int32()),  # SimHash Hamming distance to the earliest member
    ("cluster_size", pa.int32()),
    ("n_outlets", pa.int32()),
    ("is_first", pa.bool_()),
    ("method_version", pa.string()),
])

# Tables published per outlet-hour (<table>/date=…/outlet=…/part-<interval>.parquet).
TABLES = {"articles": ARTICLES, "quarantine": QUARANTINE, "fetch_log": FETCH_LOG}
# Tables derived per day by marsad_daily (<table>/date=…/part-<YYYYMMDD>.parquet).
DAILY_TABLES = {"clusters": CLUSTERS}
ALL_TABLES = {**TABLES, **DAILY_TABLES}
