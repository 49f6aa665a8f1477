"""Quality gate: the default rules on the labelled dev set (tests/data/topics_dev.jsonl, see
tests/data/PROVENANCE_topics_dev.md). Fails below macro-F1 0.90 or ramadan_diplomacy F1 0.80;
prints per-topic precision and recall (run with -s to see them)."""

from pathlib import Path

from marsad.tag.evaluate import evaluate, macro_f1, read_labelled, report
from marsad.tag.tagger import Tagger

DEV = Path(__file__).resolve().parents[2] / "data" / "topics_dev.jsonl"


def test_dev_set_quality(capsys):
    rows = read_labelled(DEV)
    assert len(rows) >= 80
    scores, errors = evaluate(rows, Tagger.default())
    text = report(scores)
    with capsys.disabled():
        print("\n" + text)
        for rid, topic, kind, ev in errors:
            print(f"  {kind} {topic} {rid}: {ev}")
    assert macro_f1(scores) >= 0.90, text
    assert scores["ramadan_diplomacy"].f1 >= 0.80, text
