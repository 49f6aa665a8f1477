-- Marsad lake views for analysts (DuckDB). Every table reads with hive partitioning (date=…, outlet=…).
--
-- Set the lake root first, then read this file:
--   duckdb -cmd "SET VARIABLE marsad_lake = 'data/lake'" -cmd ".read include/sql/views.sql"
-- From Python: marsad.lake.query.connect() does the same (and skips views of tables with no files yet).
--
-- Each statement is preceded by "-- view: <name> needs: <tables>"; marsad.lake.query uses that line.

-- view: articles needs: articles
-- Accepted articles, one row per article (schema: marsad.lake.schema.ARTICLES; `date` from the path).
CREATE OR REPLACE VIEW articles AS
SELECT * FROM read_parquet(getvariable('marsad_lake') || '/articles/**/*.parquet',
                           hive_partitioning = true, union_by_name = true);

-- view: article_topics needs: articles
-- One row per article and topic (topics exploded), with the topic's score and evidence.
CREATE OR REPLACE VIEW article_topics AS
SELECT a.article_id, a.outlet, a.date, a.published_at, a.interval_start, a.title, a.url, t.topic,
       list_filter(a.topic_hits, lambda h: h.topic = t.topic)[1].score AS score,
       list_filter(a.topic_hits, lambda h: h.topic = t.topic)[1].evidence AS evidence
FROM articles AS a, unnest(a.topics) AS t(topic);

-- view: quarantine needs: quarantine
-- Rejected rows with reason_codes (names of the failed GX expectations) and reason_detail.
CREATE OR REPLACE VIEW quarantine AS
SELECT * FROM read_parquet(getvariable('marsad_lake') || '/quarantine/**/*.parquet',
                           hive_partitioning = true, union_by_name = true);

-- view: quarantine_reasons needs: quarantine
-- One row per quarantined row and reason code.
CREATE OR REPLACE VIEW quarantine_reasons AS
SELECT article_id, outlet, date, interval_start, url, unnest(reason_codes) AS reason_code, reason_detail
FROM quarantine;

-- view: fetch_log needs: fetch_log
-- One row per HTTP attempt; failure_class is null on success.
CREATE OR REPLACE VIEW fetch_log AS
SELECT * FROM read_parquet(getvariable('marsad_lake') || '/fetch_log/**/*.parquet',
                           hive_partitioning = true, union_by_name = true);

-- view: clusters needs: clusters
-- Near-duplicate clusters across outlets (wire copy), one row per member article; built daily.
CREATE OR REPLACE VIEW clusters AS
SELECT * FROM read_parquet(getvariable('marsad_lake') || '/clusters/**/*.parquet',
                           hive_partitioning = true, union_by_name = true);
