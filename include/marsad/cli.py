"""The ``marsad`` command (contract in DESIGN.md). Bad input: non-zero exit and one clear line on stderr."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path


class CliError(Exception):
    pass


def _cmd_extract(args) -> int:
    from marsad.config import load_outlets
    from marsad.crawl.fetch import decode_html
    from marsad.extract.article import extract_article

    path = Path(args.page)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    hints, tz = None, "UTC"
    if args.outlet:
        outlet = load_outlets(args.config).outlet(args.outlet)
        hints, tz = outlet.extraction, outlet.timezone
    raw = path.read_bytes()
    try:
        text, _ = decode_html(raw, None)
    except UnicodeDecodeError:
        text = raw  # let the extractor report what it makes of the bytes
    result = extract_article(text, args.url, hints=hints, timezone=tz)
    keys = ("title", "body", "published_at", "author", "language", "date_source", "extraction_method")
    out = {k: result.to_dict().get(k) for k in keys}
    if result.error:
        out["error"] = result.error
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if not result.error else 3


def _cmd_tag(args) -> int:
    from marsad.tag.tagger import Tagger, tag_jsonl

    tagger = Tagger.from_file(args.topics) if args.topics else Tagger.default()
    if args.file in (None, "-"):
        stream = sys.stdin
    else:
        p = Path(args.file)
        if not p.is_file():
            raise CliError(f"{p}: no such file")
        stream = p.open(encoding="utf-8")
    if args.jsonl:
        for line in tag_jsonl(stream, tagger):
            print(line)
        return 0
    text = stream.read()
    title, _, body = text.partition("\n")
    res = tagger.tag(title, body)
    print(json.dumps({"topics": res.topics, "topic_hits": res.topic_hits, "people": res.people, "places": res.places,
                      "rules_version": tagger.version}, ensure_ascii=False, indent=2))
    return 0


def _cmd_run(args) -> int:
    from marsad.pipeline import HOUR, as_interval_start, run_interval

    start = as_interval_start(_parse_ts(args.start, "--start"))
    end = as_interval_start(_parse_ts(args.end, "--end")) if args.end else start + HOUR
    if end <= start:
        raise CliError(f"--end {end.isoformat()} must be after --start {start.isoformat()}")
    outlets = [o.strip() for o in args.outlets.split(",") if o.strip()] if args.outlets else None
    ok = True
    t = start
    while t < end:
        for r in run_interval(t, outlets=outlets, lake=args.lake, config_path=args.config):
            ok &= r["ok"]
            print(json.dumps({"interval_start": t.isoformat(), **r}, ensure_ascii=False))
        t += HOUR
    return 0 if ok else 4


def _parse_ts(value: str, flag: str):
    from datetime import datetime, timezone

    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"{flag} {value!r} is not an ISO 8601 time (e.g. 2026-02-12T09:00Z)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _cmd_mirror_serve(args) -> int:
    from marsad.mirror.server import Mirror

    anchor = _parse_ts(args.anchor, "--anchor") if args.anchor else None
    sites = None
    if args.sites:
        sites = "all" if args.sites == "all" else [s.strip() for s in args.sites.split(",") if s.strip()]
    try:
        mirror = Mirror(base_port=args.port, anchor=anchor, sites=sites)
    except KeyError as exc:
        raise CliError(f"--sites: unknown mirror outlet {exc}") from None
    if args.write_config:
        mirror.write_outlets_config(Path(args.write_config))
    mirror.start()
    for site in mirror.site_ids:
        print(f"mirror outlet {site}: {mirror.base_url(site)}/", flush=True)
    print(f"mirror anchor {mirror.anchor.isoformat()} (articles over the 3 hours before it); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mirror.stop()
    return 0


def _cmd_outlets_check(args) -> int:
    """Live check of outlets: robots.txt, every discovery source, one extracted article, and the
    outlet's health from the lake's fetch log. Exit 0 when all is well, 5 when something failed."""
    from marsad.config import load_outlets
    from marsad.crawl.crawler import discover_outlet
    from marsad.crawl.fetch import PoliteFetcher, decode_html
    from marsad.crawl.health import outlet_health
    from marsad.crawl.urls import clean_url
    from marsad.extract.article import extract_article

    cfg = load_outlets(args.config)
    outlets = [cfg.outlet(args.id)] if args.id else cfg.select(None)
    failed = False
    for outlet in outlets:
        delay = outlet.crawl_delay_s if outlet.crawl_delay_s is not None else cfg.settings.delay_s
        fetcher = PoliteFetcher(cfg.settings, delay_s=delay)
        try:
            print(f"== {outlet.id} ({outlet.name}, {outlet.country}, {outlet.timezone})")
            hosts = list(dict.fromkeys(e.url.split("/")[2] for e in outlet.discovery))
            for e in outlet.discovery:
                if e.url.split("/")[2] in hosts:
                    hosts.remove(e.url.split("/")[2])
                    state = fetcher.robots_state(e.url)
                    extra = ""
                    if state.parser is not None:
                        cd = state.parser.crawl_delay(cfg.settings.user_agent)
                        sm = list(state.parser.sitemaps)
                        extra = (f"; crawl-delay {cd}s" if cd else "") + (f"; sitemaps: {', '.join(sm)}" if sm else "")
                    print(f"robots.txt {e.url.split('/')[2]}: {state.describe()}{extra}")
                    failed |= state.failure_class is not None
            disc = discover_outlet(fetcher, outlet, conditional=False, sitemap_budget=3)
            for src in disc.sources:
                print(f"  {src.line()}")
                failed |= src.outcome == "failed"
            cands = sorted({c.canonical: c for c in disc.candidates}.values(),
                           key=lambda c: c.published.timestamp() if c.published else 0, reverse=True)
            print(f"  {len(cands)} distinct article URLs")
            if not cands:
                print("  article: none discovered, nothing to extract")
                failed = True
            for c in cands[:3]:  # the newest article that fetches and extracts
                res = fetcher.get(clean_url(c.url), kind="article")
                if not res.ok:
                    print(f"  article {c.url}: FAILED {res.failure_class}: {res.error}")
                    failed = True
                    continue
                text, enc = decode_html(res.body, res.headers.get("content-type"))
                ex = extract_article(text, res.final_url, hints=outlet.extraction, timezone=outlet.timezone,
                                     feed_published=c.published)
                print(json.dumps({"url": res.final_url, "encoding": enc,
                                  **{k: v for k, v in ex.to_dict().items() if k != "body"},
                                  "body_start": (ex.body or "")[:200]}, ensure_ascii=False, indent=2, default=str))
                failed |= bool(ex.error)
                break
            print(f"  health: {outlet_health(outlet.id, args.lake).summary()}")
        finally:
            fetcher.close()
    return 5 if failed else 0


def _cmd_lake_stats(args) -> int:
    from marsad.lake.query import lake_stats

    print(lake_stats(args.lake))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="marsad", description="Marsad: Arabic news observatory")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="extract one article page to JSON")
    e.add_argument("page")
    e.add_argument("--url", required=True)
    e.add_argument("--outlet")
    e.add_argument("--config", help="outlets file (default: $MARSAD_OUTLETS or seeds/outlets.yaml)")
    e.set_defaults(func=_cmd_extract)

    t = sub.add_parser("tag", help="tag text (or JSON lines with --jsonl) by topic")
    t.add_argument("file", nargs="?", default="-")
    t.add_argument("--jsonl", action="store_true")
    t.add_argument("--topics", help="topics file (default: $MARSAD_TOPICS or seeds/topics.yaml)")
    t.set_defaults(func=_cmd_tag)

    r = sub.add_parser("run", help="crawl + process + validate + publish an interval without a scheduler")
    r.add_argument("--start", required=True)
    r.add_argument("--end")
    r.add_argument("--outlets")
    r.add_argument("--lake")
    r.add_argument("--config")
    r.set_defaults(func=_cmd_run)

    m = sub.add_parser("mirror", help="the local outlet mirror")
    msub = m.add_subparsers(dest="mirror_command", required=True)
    ms = msub.add_parser("serve", help="serve the simulated outlets on 127.0.0.1")
    ms.add_argument("--port", type=int, default=int(os.environ.get("MARSAD_MIRROR_PORT", 8700)),
                    help="base port; outlet n listens on port+n")
    ms.add_argument("--anchor", help="the mirror's 'now' (ISO time); default: start of the current hour")
    ms.add_argument("--write-config", help="write an outlets file pointing at this mirror")
    ms.add_argument("--sites", help="'all' or comma-separated mirror outlet ids (default: tahyamisr,alwasat,sudanile)")
    ms.set_defaults(func=_cmd_mirror_serve)

    o = sub.add_parser("outlets", help="outlet checks")
    osub = o.add_subparsers(dest="outlets_command", required=True)
    oc = osub.add_parser("check", help="live check of discovery and extraction")
    oc.add_argument("id", nargs="?")
    oc.add_argument("--config")
    oc.add_argument("--lake", help="lake whose fetch log gives the outlet's health (default: $MARSAD_LAKE)")
    oc.set_defaults(func=_cmd_outlets_check)

    lk = sub.add_parser("lake", help="lake tools")
    lsub = lk.add_subparsers(dest="lake_command", required=True)
    ls = lsub.add_parser("stats", help="partitions, rows, topics, quarantine reasons")
    ls.add_argument("--lake")
    ls.set_defaults(func=_cmd_lake_stats)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from marsad.config import ConfigError

    try:
        return args.func(args)
    except (CliError, ConfigError, ValueError, FileNotFoundError) as exc:
        print(f"marsad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
