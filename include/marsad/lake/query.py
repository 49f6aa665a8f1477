"""Read the lake with DuckDB (hive partitioning): the views analysts use and `marsad lake stats`."""

from __future__ import annotations

from pathlib import Path

from marsad.config import lake_root

TABLE_NAMES = ("articles", "quarantine", "fetch_log")


def connect(lake: str | Path | None = None):
    """A DuckDB connection with one view per lake table that has files (articles, quarantine,
    fetch_log) and ``article_topics`` (one row per article and topic)."""
    import duckdb

    root = lake_root(lake)
    con = duckdb.connect()
    for name in TABLE_NAMES:
        if any((root / name).glob("**/*.parquet")):
            glob = str(root / name / "**" / "*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true, union_by_name=true)")
    if "articles" in views(con):
        con.execute("CREATE VIEW article_topics AS SELECT article_id, outlet, published_at, date, "
                    "unnest(topics) AS topic FROM articles")
    return con


def views(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def lake_stats(lake: str | Path | None = None) -> str:
    root = lake_root(lake)
    if not root.exists():
        raise FileNotFoundError(f"no lake at {root} (set --lake or MARSAD_LAKE)")
    con = connect(root)
    have = views(con)
    out = [f"lake: {root}"]
    for name in TABLE_NAMES:
        files = list((root / name).glob("**/*.parquet"))
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] if name in have else 0
        out.append(f"{name}: {rows} rows in {len(files)} files")
    if "articles" in have:
        out.append("\narticles per outlet:")
        for outlet, n in con.execute("SELECT outlet, count(*) FROM articles GROUP BY 1 ORDER BY 1").fetchall():
            out.append(f"  {outlet:<16} {n}")
        out.append("articles per topic:")
        for topic, n in con.execute("SELECT topic, count(*) FROM article_topics GROUP BY 1 ORDER BY 2 DESC, 1").fetchall():
            out.append(f"  {topic:<20} {n}")
    out.append("quarantine reasons:")
    if "quarantine" in have:
        for reason, n in con.execute("SELECT r, count(*) FROM (SELECT unnest(reason_codes) AS r FROM quarantine) "
                                     "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall():
            out.append(f"  {reason:<28} {n}")
    else:
        out.append("  none")
    if "fetch_log" in have:
        out.append("fetch failures:")
        rows = con.execute("SELECT outlet, failure_class, count(*) FROM fetch_log WHERE failure_class IS NOT NULL "
                           "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        out += [f"  {o:<16} {fc:<20} {n}" for o, fc, n in rows] or ["  none"]
    return "\n".join(out)
