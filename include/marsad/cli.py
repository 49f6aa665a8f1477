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
    mirror = Mirror(base_port=args.port, anchor=anchor)
    if args.write_config:
        mirror.write_outlets_config(Path(args.write_config))
    mirror.start()
    for site in ("tahyamisr", "alwasat", "sudanile"):
        print(f"mirror outlet {site}: {mirror.base_url(site)}/", flush=True)
    print(f"mirror anchor {mirror.anchor.isoformat()} (articles over the 3 hours before it); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mirror.stop()
    return 0


def _cmd_outlets_check(args) -> int:
    from marsad.config import load_outlets
    from marsad.crawl.discover import DiscoveryError, parse_feed, parse_listing, parse_sitemap
    from marsad.crawl.fetch import PoliteFetcher, decode_html
    from marsad.extract.article import extract_article

    cfg = load_outlets(args.config)
    outlets = [cfg.outlet(args.id)] if args.id else cfg.select(None)
    failed = False
    for outlet in outlets:
        fetcher = PoliteFetcher(cfg.settings, delay_s=outlet.crawl_delay_s)
        print(f"== {outlet.id} ({outlet.name})")
        robots = fetcher.robots_for(outlet.discovery[0].url)
        print(f"robots.txt: {'absent/4xx (all allowed)' if robots is None else 'ok'}")
        candidates = []
        for entry in outlet.discovery:
            res = fetcher.get(entry.url, kind="feed")
            if not res.ok:
                print(f"  {entry.type} {entry.url}: FAILED {res.failure_class}: {res.error}")
                failed = True
                continue
            try:
                if entry.type == "listing":
                    found = parse_listing(res.body, res.final_url, entry.link_selector)
                elif entry.type == "sitemap":
                    found, children = parse_sitemap(res.body, res.final_url)
                    for child in children[:1]:
                        cres = fetcher.get(child, kind="sitemap")
                        found += parse_sitemap(cres.body, cres.final_url)[0] if cres.ok else []
                else:
                    found = parse_feed(res.body, res.final_url)
            except DiscoveryError as exc:
                print(f"  {entry.type} {entry.url}: FAILED {exc}")
                failed = True
                continue
            print(f"  {entry.type} {entry.url}: {len(found)} article URLs")
            candidates += found
        if candidates:
            c = candidates[0]
            res = fetcher.get(c.url, kind="article")
            if res.ok:
                text, _ = decode_html(res.body, res.headers.get("content-type"))
                ex = extract_article(text, c.url, hints=outlet.extraction, timezone=outlet.timezone)
                print(json.dumps({"url": c.url, **{k: v for k, v in ex.to_dict().items() if k != "body"},
                                  "body_start": (ex.body or "")[:200]}, ensure_ascii=False, indent=2))
            else:
                print(f"  article {c.url}: FAILED {res.failure_class}: {res.error}")
                failed = True
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
    ms.set_defaults(func=_cmd_mirror_serve)

    o = sub.add_parser("outlets", help="outlet checks")
    osub = o.add_subparsers(dest="outlets_command", required=True)
    oc = osub.add_parser("check", help="live check of discovery and extraction")
    oc.add_argument("id", nargs="?")
    oc.add_argument("--config")
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
