"""Scoring the tagger on a labelled JSONL set (topics_dev.jsonl format: id, title, text, date,
labels {topic: 0/1}). Used by the dev-set test and handy from a shell:

    .venv/bin/python -m marsad.tag.evaluate tests/data/topics_dev.jsonl [-v]
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from marsad.tag.tagger import Tagger


@dataclass
class TopicScore:
    topic: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def read_labelled(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def row_date(row: dict) -> datetime | None:
    v = row.get("published_at") or row.get("date")
    if not v:
        return None
    d = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def evaluate(rows: list[dict], tagger: Tagger) -> tuple[dict[str, TopicScore], list[tuple[str, str, str, list]]]:
    """Per-topic counts, and the errors as (id, topic, 'FP'|'FN', evidence)."""
    scores = {t: TopicScore(t, 0, 0, 0) for t in tagger.topics}
    errors = []
    for row in rows:
        res = tagger.tag(row.get("title", ""), row.get("text", ""), row_date(row))
        got = set(res.topics)
        for topic, want in row["labels"].items():
            if topic not in scores:
                continue
            s = scores[topic]
            if want and topic in got:
                s.tp += 1
            elif want:
                s.fn += 1
                errors.append((row["id"], topic, "FN", _debug(tagger, row, topic)))
            elif topic in got:
                s.fp += 1
                ev = next(h["evidence"] for h in res.topic_hits if h["topic"] == topic)
                errors.append((row["id"], topic, "FP", ev))
    return scores, errors


def _debug(tagger: Tagger, row: dict, topic: str) -> list:
    ct = next(c for c in tagger._compiled if c.name == topic)
    doc = tagger._analyse(row.get("title", ""), row.get("text", ""))
    acc, score, ev, _ = tagger._eval_topic(ct, doc, row_date(row))
    return [f"score={score}"] + ev


def report(scores: dict[str, TopicScore]) -> str:
    lines = [f"{'topic':<20} {'P':>6} {'R':>6} {'F1':>6}   tp fp fn"]
    for s in scores.values():
        lines.append(f"{s.topic:<20} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}   {s.tp:2d} {s.fp:2d} {s.fn:2d}")
    macro = sum(s.f1 for s in scores.values()) / len(scores)
    lines.append(f"{'macro-F1':<20} {'':>6} {'':>6} {macro:6.3f}")
    return "\n".join(lines)


def macro_f1(scores: dict[str, TopicScore]) -> float:
    return sum(s.f1 for s in scores.values()) / len(scores)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv
    paths = [a for a in argv if a != "-v"]
    rows = read_labelled(paths[0] if paths else Path(__file__).resolve().parents[3] / "tests/data/topics_dev.jsonl")
    scores, errors = evaluate(rows, Tagger.default())
    print(report(scores))
    if verbose:
        for rid, topic, kind, ev in errors:
            print(f"{kind} {topic:<18} {rid}: {ev}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
