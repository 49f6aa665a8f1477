"""The crawl frontier of one outlet: which canonical URLs were captured in which interval,
which were discovered but deferred to a later interval (or are retried after a transient failure),
feed validators (ETag, Last-Modified, body hash, the children of a sitemap index) for conditional
GETs, and robots.txt bodies per host (re-used for a day, so an unchanged outlet costs one request).

Stored as one JSON file per outlet under ``<lake>/state/frontier/`` and replaced atomically, and only
after the interval's WARC is committed, so a crash never marks an article as fetched when its
capture is missing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from marsad.lake import storage


@dataclass
class Frontier:
    path: Path
    seen: dict[str, str] = field(default_factory=dict)  # canonical url -> interval id that captured it
    pending: dict[str, dict] = field(default_factory=dict)  # canonical url -> {"url", "published", "via"}
    feeds: dict[str, dict] = field(default_factory=dict)  # feed url -> {"etag", "last_modified", "sha256", "interval", "children"}
    robots: dict[str, dict] = field(default_factory=dict)  # host -> {"status", "body", "fetched_ts"}

    @classmethod
    def load(cls, lake: Path, outlet_id: str) -> "Frontier":
        path = storage.as_path(lake) / "state" / "frontier" / f"{outlet_id}.json"
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"frontier state {path} is unreadable ({exc}); move it away to start afresh") from None
        return cls(path=path, seen=data.get("seen", {}), pending=data.get("pending", {}), feeds=data.get("feeds", {}),
                   robots=data.get("robots", {}))

    def is_new_for(self, canonical: str, interval_id: str) -> bool:
        """True when the URL was never captured, or was captured by this very interval (a re-crawl
        of an interval whose capture was lost)."""
        owner = self.seen.get(canonical)
        return owner is None or owner == interval_id

    def validators_for(self, url: str, interval_id: str) -> dict | None:
        """Conditional-GET validators of a feed/sitemap, unless they were set by this very interval
        (a re-crawl of an interval whose capture was lost must see the full feed again)."""
        state = self.feeds.get(url)
        if not state or state.get("interval") == interval_id:
            return None
        return state

    def prune(self, keep_after: str) -> int:
        """Forget seen URLs captured before interval id ``keep_after`` (YYYYMMDDTHH); the file stays
        small over months. Returns how many were dropped."""
        old = [u for u, iid in self.seen.items() if iid < keep_after]
        for u in old:
            del self.seen[u]
        return len(old)

    def save(self) -> None:
        if storage.is_remote(self.path):
            storage.put_bytes(json.dumps({"seen": self.seen, "pending": self.pending, "feeds": self.feeds,
                                          "robots": self.robots}, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                              self.path)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seen": self.seen, "pending": self.pending, "feeds": self.feeds, "robots": self.robots},
                                  ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
