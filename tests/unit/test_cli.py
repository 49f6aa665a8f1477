"""The `marsad` command as a user runs it (a real subprocess of the installed console script)."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MARSAD = str(Path(sys.executable).parent / "marsad")
SEED_PAGE = REPO / "seeds" / "mirror" / "tahyamisr" / "seed_article.html"


def run(*args, stdin=None, env=None):
    return subprocess.run([MARSAD, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def test_extract_prints_the_contract_fields():
    res = run("extract", str(SEED_PAGE), "--url", "https://www.tahyamisr.com/News/1001/x")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"title", "body", "published_at", "author", "language", "date_source", "extraction_method"}
    assert out["title"] == "رئيس المخابرات العامة يلتقي القائد العام للجيش الليبي.. ماذا دار في الاجتماع؟"
    assert out["published_at"].startswith("2026-02-12T08:20:00") and out["language"] == "ar"


def test_tag_jsonl_round_trip():
    lines = [{"id": "a", "title": "حفتر يستقبل وفدا في بنغازي", "text": "التقى المشير خليفة حفتر في بنغازي وفدا ليبيا.",
              "published_at": "2026-02-12T08:00:00Z"},
             {"id": "b", "title": "أسعار الخضار", "text": "ارتفعت أسعار الطماطم في الأسواق.", "published_at": None}]
    res = run("tag", "--jsonl", stdin="\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert res.returncode == 0, res.stderr
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[0]["topics"] == ["libya"] and out[0]["topic_hits"][0]["evidence"]
    assert out[1]["topics"] == []


def test_run_then_lake_stats(mirror, mirror_anchor, tmp_path):
    lake = tmp_path / "lake"
    start = (mirror_anchor.replace(hour=mirror_anchor.hour - 3)).isoformat()
    res = run("run", "--start", start, "--outlets", "tahyamisr,alwasat", "--lake", str(lake), "--config", str(mirror.config_path))
    assert res.returncode == 0, res.stderr
    results = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["outlet"] for r in results] == ["tahyamisr", "alwasat"] and all(r["ok"] and r["articles"] > 0 for r in results)
    stats = run("lake", "stats", "--lake", str(lake))
    assert stats.returncode == 0 and "articles per outlet" in stats.stdout and "tahyamisr" in stats.stdout


def test_mirror_serve(tmp_path):
    from tests_support import free_port_range

    base = free_port_range()
    proc = subprocess.Popen([MARSAD, "mirror", "serve", "--port", str(base), "--write-config", str(tmp_path / "o.yaml")],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert f"127.0.0.1:{base + 1}" in first
        body = urllib.request.urlopen(f"http://127.0.0.1:{base + 1}/rss.xml", timeout=10).read()
        assert b"<rss" in body and (tmp_path / "o.yaml").exists()
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("args, message", [
    (("run", "--start", "yesterday"), "is not an ISO 8601 time"),
    (("run", "--start", "2026-02-12T09:30Z"), "is not on the hour"),
    (("run", "--start", "2026-02-12T09:00Z", "--outlets", "nosuch"), "unknown outlet 'nosuch'"),
    (("extract", "/nonexistent.html", "--url", "https://x.org/a"), "no such file"),
    (("lake", "stats", "--lake", "/nonexistent-lake"), "no lake at"),
    (("tag", "/nonexistent.txt"), "no such file"),
])
def test_bad_input_is_one_clear_line(args, message):
    res = run(*args)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and message in res.stderr, res.stderr


def test_bad_config_file(tmp_path):
    cfg = tmp_path / "outlets.yaml"
    cfg.write_text("outlets:\n- {id: x1, name: n, country: EG, discovery: [{type: rss}], colour: red}\n")
    res = run("run", "--start", "2026-02-12T09:00Z", "--config", str(cfg))
    assert res.returncode == 2 and "unknown key 'colour'" in res.stderr and "required key 'url' is missing" in res.stderr
