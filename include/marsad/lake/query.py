"""Read the lake with DuckDB (hive partitioning): the analysts' views and `marsad lake stats`.

The views are defined once, in ``include/sql/views.sql`` (also usable from the DuckDB CLI); this module
sets the ``marsad_lake`` variable and runs the file's statements, skipping views whose tables have no
files yet (DuckDB cannot read an empty glob).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from marsad.config import REPO_ROOT, lake_root
from marsad.lake import storage

TABLE_NAMES = ("articles", "quarantine", "fetch_log", "clusters")
VIEWS_SQL = REPO_ROOT / "include" / "sql" / "views.sql"
_VIEW_RE = re.compile(r"^-- view: (\w+) needs: ([\w, ]+)$", re.MULTILINE)


def view_statements(sql: str | None = None) -> list[tuple[str, list[str], str]]:
    """(view name, tables it needs, SQL) for every statement of views.sql."""
    sql = VIEWS_SQL.read_text(encoding="utf-8") if sql is None else sql
    marks = list(_VIEW_RE.finditer(sql))
    out = []
    for m, nxt in zip(marks, marks[1:] + [None]):
        body = sql[m.end(): nxt.start() if nxt else len(sql)]
        stmt = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--")).strip()
        out.append((m.group(1), [t.strip() for t in m.group(2).split(",") if t.strip()], stmt))
    return out


def connect(lake: str | Path | None = None, con=None):
    """A DuckDB connection with the views of include/sql/views.sql over the lake (articles, article_topics,
    quarantine, quarantine_reasons, fetch_log, clusters) — those whose tables have files."""
    import duckdb

    root = lake_root(lake)
    con = con or duckdb.connect()
    storage.duckdb_register(con, root)
    con.execute("SET VARIABLE marsad_lake = ?", [str(root)])
    present = {t for t in TABLE_NAMES if next((root / t).glob("**/*.parquet"), None) is not None}
    for _name, needs, stmt in view_statements():
        if set(needs) <= present:
            con.execute(stmt)
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
        days = {p.parent.name for p in files if p.parent.name.startswith("date=")} | \
               {p.parent.parent.name for p in files if p.parent.parent.name.startswith("date=")}
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] if name in have else 0
        out.append(f"{name}: {rows} rows in {len(files)} files, {len(days)} date partitions")
    if "articles" in have:
        out.append("\narticles per outlet:")
        for outlet, n, first, last in con.execute(
                "SELECT outlet, count(*), min(date)::VARCHAR, max(date)::VARCHAR FROM articles GROUP BY 1 ORDER BY 1").fetchall():
            out.append(f"  {outlet:<16} {n:>8}  {first} .. {last}")
        out.append("articles per topic:")
        for topic, n in con.execute("SELECT topic, count(*) FROM article_topics GROUP BY 1 ORDER BY 2 DESC, 1").fetchall():
            out.append(f"  {topic:<20} {n}")
    out.append("quarantine reasons:")
    if "quarantine" in have:
        for reason, n in con.execute("SELECT reason_code, count(*) FROM quarantine_reasons "
                                     "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall():
            out.append(f"  {reason:<28} {n}")
    else:
        out.append("  none")
    if "fetch_log" in have:
        out.append("fetch failures:")
        rows = con.execute("SELECT outlet, failure_class, count(*) FROM fetch_log WHERE failure_class IS NOT NULL "
                           "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        out += [f"  {o:<16} {fc:<20} {n}" for o, fc, n in rows] or ["  none"]
    runs = root / "runs"
    rejected = sorted(runs.glob("date=*/*.rejected.json")) if runs.is_dir() else []
    out.append(f"rejected outlet-hours (critical batch checks): {len(rejected)}")
    for p in rejected[-10:]:
        try:
            msg = json.loads(p.read_text(encoding="utf-8")).get("message", "")
        except (OSError, ValueError):
            msg = "unreadable manifest"
        out.append(f"  {p.name.removesuffix('.rejected.json')}: {msg}")
    if "clusters" in have:
        n_clusters, n_articles = con.execute("SELECT count(DISTINCT cluster_id), count(*) FROM clusters").fetchone()
        out.append(f"near-duplicate clusters across outlets: {n_clusters} ({n_articles} articles)")
    return "\n".join(out)
