"""Benchmark: Marsad's article extractor against trafilatura on the same Arabic news pages, in one run.

    .venv/bin/python bench/extract.py [--pages DIR ...] [--rounds N]

For every page (``*.html`` next to a ``*.gt.json`` ground truth, as in tests/data/pages_dev, plus the
Tahya Misr seed article built from ../shared/data/seed) both systems are run; the script prints
pages/s (median of N timed rounds after one warm-up round, single process) and accuracy:

- body F1: token F1 of the body against the ground-truth text (pages whose GT has text), tokens folded
  with ``normalize_for_match``;
- title accuracy: folded title tokens equal to the GT title's;
- date accuracy: the publication day in the GT's own offset (or, for a date-only GT, in the outlet's
  timezone) equals the GT day;
- language accuracy (Marsad only; trafilatura does not detect languages).

trafilatura is called as ``trafilatura.extract(html, url=url, with_metadata=True, output_format="json")``.
Marsad gets the outlet timezone, as the pipeline does from outlets.yaml.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from marsad.extract.article import extract_article  # noqa: E402
from marsad.extract.language import warm_up  # noqa: E402
from marsad.text.arabic import normalize_for_match, tokens  # noqa: E402

# outlet timezones (what outlets.yaml would say), keyed by a piece of the host name
OUTLET_TZ = {
    "jawharafm": "Africa/Tunis", "albayan": "Asia/Dubai", "almadenahnews": "Asia/Amman", "yjc.ir": "Asia/Tehran",
    "youm7": "Africa/Cairo", "tahyamisr": "Africa/Cairo", "hespress": "Africa/Casablanca", "aljazeera": "Asia/Qatar",
    "alarabiya": "Asia/Dubai", "masrawy": "Africa/Cairo", "ahram": "Africa/Cairo", "annahar": "Asia/Beirut",
    "echoroukonline": "Africa/Algiers", "alriyadh": "Asia/Riyadh", "alquds": "Asia/Jerusalem",
}


def outlet_tz(url: str) -> str:
    for key, tz in OUTLET_TZ.items():
        if key in url:
            return tz
    return "UTC"


def f1(pred: str, gold: str) -> float:
    p = Counter(tokens(normalize_for_match(pred or "")))
    g = Counter(tokens(normalize_for_match(gold or "")))
    if not p or not g:
        return 0.0
    common = sum((p & g).values())
    if not common:
        return 0.0
    prec, rec = common / sum(p.values()), common / sum(g.values())
    return 2 * prec * rec / (prec + rec)


def same_title(pred: str | None, gold: str) -> bool:
    return bool(pred) and tokens(normalize_for_match(pred)) == tokens(normalize_for_match(gold))


def gold_day(gt_date: str, tz: str) -> tuple[date, object]:
    """The GT day and the zone to compare in (the GT's own offset when it has one)."""
    if "T" in gt_date:
        dt = datetime.fromisoformat(gt_date)
        return dt.date(), dt.tzinfo
    return date.fromisoformat(gt_date[:10]), ZoneInfo(tz) if tz != "UTC" else dt_timezone.utc


def load_pages(dirs: list[Path]) -> list[dict]:
    pages = []
    for d in dirs:
        for html in sorted(d.glob("*.html")):
            gt_path = html.with_suffix("").with_suffix(".gt.json")
            if not gt_path.exists():
                gt_path = html.parent / (html.stem + ".gt.json")
            if not gt_path.exists():
                continue
            gt = json.loads(gt_path.read_text(encoding="utf-8"))
            pages.append({"name": html.name, "html": html.read_bytes(), "gt": gt})
    return pages


def seed_page() -> dict | None:
    html = ROOT / "seeds/mirror/tahyamisr/seed_article.html"
    seed = ROOT.parent / "shared/data/seed/000_d94b83aca628e3d0.txt"
    if not html.exists() or not seed.exists():
        return None
    lines = [x.strip() for x in seed.read_text(encoding="utf-8").split("\n")]
    body = [x for i, x in enumerate(lines, 1) if i >= 11 and x and i not in (17, 18)]
    gt = {"url": "https://www.tahyamisr.com/news/d94b83aca628e3d0", "title": lines[5], "text": "\n".join(body),
          "date": "2026-02-12T10:20:00+02:00", "language": "ar"}
    return {"name": "tahyamisr_seed_article.html", "html": html.read_bytes(), "gt": gt}


def run_marsad(page):
    url = page["gt"]["url"]
    r = extract_article(page["html"], url, timezone=outlet_tz(url), fetched_at=datetime(2026, 3, 1, tzinfo=dt_timezone.utc))
    return {"title": r.title, "text": r.body, "date": r.published_at, "language": r.language}


def run_trafilatura(page):
    import trafilatura

    out = trafilatura.extract(page["html"], url=page["gt"]["url"], with_metadata=True, output_format="json")
    d = json.loads(out) if out else {}
    return {"title": d.get("title"), "text": d.get("text") or "", "date": d.get("date"), "language": d.get("language")}


def score(pages, results):
    f1s, titles, dates, langs = [], [], [], []
    for page, res in zip(pages, results):
        gt = page["gt"]
        tz = outlet_tz(gt["url"])
        if gt.get("text"):
            f1s.append(f1(res["text"], gt["text"]))
        if gt.get("title"):
            titles.append(same_title(res["title"], gt["title"]))
        if gt.get("date"):
            day, zone = gold_day(gt["date"], tz)
            got = res["date"]
            if isinstance(got, datetime):
                ok = got.astimezone(zone).date() == day
            elif isinstance(got, str) and got:
                ok = got[:10] == day.isoformat()
            else:
                ok = False
            dates.append(ok)
        if gt.get("language"):
            langs.append(res["language"] == gt["language"])
    mean = lambda xs: (sum(xs) / len(xs)) if xs else float("nan")  # noqa: E731
    return {"body_f1": mean(f1s), "n_body": len(f1s), "title_acc": mean(titles), "n_title": len(titles),
            "date_acc": mean(dates), "n_date": len(dates), "lang_acc": mean(langs), "n_lang": len(langs)}


def timed(fns, pages, rounds):
    """Results of each system (from a warm-up round: imports, lazy models) and its pages/s: the median of
    ``rounds`` timed rounds, the systems interleaved round by round so that machine load hits both alike."""
    results = [[fn(p) for p in pages] for fn in fns]
    times = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for p in pages:
                fn(p)
            times[k].append(time.perf_counter() - t0)
    return results, [len(pages) / statistics.median(t) for t in times]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, nargs="*", default=[ROOT / "tests/data/pages_dev"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-seed", action="store_true", help="leave out the Tahya Misr seed article")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-page results")
    args = ap.parse_args(argv)
    pages = load_pages(args.pages)
    if not args.no_seed and (sp := seed_page()):
        pages.append(sp)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 1
    warm_up()
    (m_res, t_res), (m_pps, t_pps) = timed([run_marsad, run_trafilatura], pages, args.rounds)
    ms, ts = score(pages, m_res), score(pages, t_res)
    if args.verbose:
        for page, m, t in zip(pages, m_res, t_res):
            gt = page["gt"]
            print(f"{page['name']}: marsad f1={f1(m['text'], gt.get('text', '')):.3f} date={m['date']} "
                  f"title={m['title']!r} | trafilatura f1={f1(t['text'], gt.get('text', '')):.3f} "
                  f"date={t['date']} title={t['title']!r}")
    print(f"pages: {len(pages)} (body GT {ms['n_body']}, title GT {ms['n_title']}, date GT {ms['n_date']}), "
          f"rounds: {args.rounds}")
    print(f"{'system':<12} {'pages/s':>9} {'body F1':>8} {'title':>6} {'date':>6} {'lang':>6}")
    print(f"{'marsad':<12} {m_pps:9.1f} {ms['body_f1']:8.3f} {ms['title_acc']:6.2f} {ms['date_acc']:6.2f} "
          f"{ms['lang_acc']:6.2f}")
    print(f"{'trafilatura':<12} {t_pps:9.1f} {ts['body_f1']:8.3f} {ts['title_acc']:6.2f} {ts['date_acc']:6.2f} "
          f"{ts['lang_acc']:6.2f}")
    print(f"speed-up: {m_pps / t_pps:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
