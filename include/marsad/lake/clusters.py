"""Near-duplicate clusters across outlets (wire copy) for one day, from the articles' SimHash.

Every article carries ``simhash``: a 64-bit SimHash of word 3-shingles of its normalised body
(:func:`marsad.process.simhash64`). Two articles are near-duplicates when their SimHashes differ in at
most ``MAX_DISTANCE`` bits. Candidates come from LSH banding: the 64 bits are cut into ``BANDS`` bands
of 8 bits; by the pigeonhole principle two hashes within ``MAX_DISTANCE`` < ``BANDS`` bits agree on at
least one band, so comparing only articles that share a band value finds every such pair. Pairs are
joined transitively (union-find). A cluster is kept when its members come from at least two outlets
(the same story under two URLs of one outlet is caught earlier by ``title_key``).

Written by marsad_daily to ``clusters/date=YYYY-MM-DD/part-YYYYMMDD.parquet`` (schema
:data:`marsad.lake.schema.CLUSTERS`), atomically; a re-run replaces the day's file.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from marsad.config import lake_root
from marsad.lake import storage
from marsad.lake.writer import to_table, write_parquet_atomic

log = logging.getLogger(__name__)
MAX_DISTANCE = 7
BANDS = 8
METHOD_VERSION = f"simhash64-3shingle-d{MAX_DISTANCE}-b{BANDS}"


def clusters_path(lake: Path, day: date) -> Path:
    return storage.as_path(lake) / "clusters" / f"date={day:%Y-%m-%d}" / f"part-{day:%Y%m%d}.parquet"


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def near_duplicate_pairs(hashes: np.ndarray, max_distance: int = MAX_DISTANCE) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose 64-bit hashes differ in at most ``max_distance`` bits."""
    if max_distance >= BANDS:
        raise ValueError(f"banding with {BANDS} bands only guarantees distances below {BANDS}")
    h = hashes.astype(np.int64).view(np.uint64)
    pairs: set[tuple[int, int]] = set()
    for b in range(BANDS):
        band = (h >> np.uint64(8 * b)) & np.uint64(0xFF)
        order = np.argsort(band, kind="stable")
        sorted_band = band[order]
        bounds = np.flatnonzero(np.diff(sorted_band)) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            g = np.sort(group)
            gh = h[g]
            x = gh[:, None] ^ gh[None, :]
            d = _popcount(x.ravel()).reshape(len(g), len(g))
            ii, jj = np.nonzero(np.triu(d <= max_distance, k=1))
            pairs.update(zip(g[ii].tolist(), g[jj].tolist()))
    return sorted(pairs)


def cluster_rows(articles: pa.Table, max_distance: int = MAX_DISTANCE) -> list[dict]:
    """Rows of the CLUSTERS table for ``articles`` (columns article_id, outlet, published_at, title, simhash)."""
    arts = articles.filter(pc.and_(pc.is_valid(articles["simhash"]),
                               pc.not_equal(articles["simhash"], 0)))
    if len(arts) < 2:
        return []
    recs = arts.select(["article_id", "outlet", "published_at", "title", "simhash"]).to_pylist()
    # deterministic order: published_at, then article_id (a re-run gives the same clusters and ids)
    recs.sort(key=lambda r: (r["published_at"] is None, r["published_at"] or 0, r["article_id"]))
    hashes = np.array([r["simhash"] for r in recs], dtype=np.int64)
    parent = list(range(len(recs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in near_duplicate_pairs(hashes, max_distance):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)  # the root is the earliest member
    groups: dict[int, list[int]] = {}
    for i in range(len(recs)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for root, members in sorted(groups.items()):
        outlets = {recs[i]["outlet"] for i in members}
        if len(members) < 2 or len(outlets) < 2:
            continue
        first = recs[root]
        for i in members:
            r = recs[i]
            out.append({"cluster_id": first["article_id"], "article_id": r["article_id"], "outlet": r["outlet"],
                        "published_at": r["published_at"], "title": r["title"], "simhash": r["simhash"],
                        "distance": int((((r["simhash"] ^ first["simhash"]) & (1 << 64) - 1)).bit_count()),
                        "cluster_size": len(members), "n_outlets": len(outlets), "is_first": i == root,
                        "method_version": METHOD_VERSION})
    return out


def build_clusters(day: date, lake: str | Path | None = None) -> dict:
    """Cluster the day's articles (all outlets) and commit ``clusters/date=…/part-YYYYMMDD.parquet``."""
    import duckdb

    root = lake_root(lake)
    path = clusters_path(root, day)
    files = sorted((root / "articles" / f"date={day:%Y-%m-%d}").glob("outlet=*/*.parquet"))
    if not files:
        storage.unlink(path)
        return {"date": day.isoformat(), "articles": 0, "clusters": 0, "clustered_articles": 0}
    con = duckdb.connect()
    storage.duckdb_register(con, root)
    arts = con.sql("SELECT article_id, outlet, published_at, title, simhash FROM read_parquet($files, "
                   "hive_partitioning=true, union_by_name=true)", params={"files": [str(f) for f in files]})
    arts = arts.to_arrow_table() if hasattr(arts, "to_arrow_table") else arts.arrow()
    rows = cluster_rows(arts)
    if rows:
        write_parquet_atomic(to_table(rows, "clusters"), path,
                             sort_by=[("cluster_id", "ascending"), ("published_at", "ascending"), ("article_id", "ascending")])
    else:
        storage.unlink(path)
    n_clusters = len({r["cluster_id"] for r in rows})
    log.info("clusters %s: %d articles, %d clusters across outlets, %d clustered articles",
             day, len(arts), n_clusters, len(rows))
    return {"date": day.isoformat(), "articles": len(arts), "clusters": n_clusters, "clustered_articles": len(rows),
            "path": str(path) if rows else None}
