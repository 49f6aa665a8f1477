"""Tagging throughput: the dev set (tests/data/topics_dev.jsonl) repeated to N articles (default
10,000), tagged on one core with the default rules. Prints articles/s.

    .venv/bin/python bench/tag.py [N]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    from marsad.tag.evaluate import row_date
    from marsad.tag.tagger import Tagger

    rows = [json.loads(l) for l in (REPO / "tests/data/topics_dev.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    items = [(r["title"], r["text"], row_date(r)) for r in rows]
    work = (items * (n // len(items) + 1))[:n]
    t0 = time.perf_counter()
    tagger = Tagger.default()
    t_load = time.perf_counter() - t0
    chars = sum(len(t) + len(x) for t, x, _ in work)
    t0 = time.perf_counter()
    tagged = 0
    for title, text, when in work:
        tagger.tag(title, text, when)
        tagged += 1
    dt = time.perf_counter() - t0
    print(f"rules {tagger.version}: compiled in {t_load * 1000:.0f} ms")
    print(f"{tagged} articles ({chars / tagged:.0f} chars avg) in {dt:.2f} s: {tagged / dt:,.0f} articles/s on one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
