"""Explainable topic tagging: rules from seeds/topics.yaml + gazetteers from seeds/gazetteers/.

``Tagger.default().tag(title, text, published_at)`` returns the accepted topics (in taxonomy
order) with a score in [0, 1], the evidence (matched terms and conditions, human readable) and
the people/places found from the gazetteers. See marsad.tag.rules for the rule language.

Scoring of one topic: every occurrence of a weighted term (term sets and gazetteer entries)
adds its weight, times ``title_weight`` in the title, times the list factor when the mention is
one item of a list of countries, times the dateline factor in a dateline; each term counts at
most ``cap`` occurrences. True conditions add their weight; the calendar adds its weight only
when one of its required conditions holds. The topic is accepted when the sum reaches the
threshold and every ``require`` condition holds; the reported score is sum / (sum + threshold),
so an accepted topic scores at least 0.5.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import marsad
from marsad.tag import calendar as hcal
from marsad.tag.gazetteer import Entry, Gazetteer, load_gazetteers
from marsad.tag.rules import (
    Lexicon,
    RulesFile,
    Topic,
    TopicsConfigError,
    load_rules,
)
from marsad.text.arabic import normalize_for_match, split_sentences

__all__ = ["TagResult", "Tagger", "tag_jsonl", "TopicsConfigError"]

_TOKEN_RE = re.compile(r"\w+")
_DATELINE_RE = re.compile(r"^([^\n()\-–—]{1,60}?)\s*(?:\(|--|-|–|—)")

Span = tuple[int, int]


@dataclass
class TagResult:
    topics: list[str]
    topic_hits: list[dict]
    people: list[str]
    places: list[str]


@dataclass
class _Weighted:
    weight: float
    label: str  # evidence label
    cap: int
    entry: Entry | None = None
    feeds: bool = False
    weak: bool = False


@dataclass
class _Group:
    uids: frozenset[int]
    key: dict[int, str]  # uid -> distinct key (entry canonical name or term)


@dataclass
class _Exclusion:
    id: str
    mask: frozenset[int]
    near: _Group | None
    unless: _Group | None
    within: int
    article: bool


@dataclass
class _Discount:
    id: str
    factor: float
    near: _Group | None
    within: int
    when: _Group | None
    min: int
    in_title: bool


@dataclass
class _Condition:
    id: str
    kind: str
    items: list  # all_of: list[list[ref]]; any_of: list[ref]; distinct: ref
    within: int | str | None
    min: int
    weight: float


@dataclass
class _Topic:
    name: str
    threshold: float
    weighted: dict[int, _Weighted]
    exclusions: list[_Exclusion]
    discounts: list[_Discount]
    groups: dict[str, _Group]
    conditions: list[_Condition]
    require: list[str]
    calendar: object | None
    qualified: set[str]
    weighted_uids: frozenset[int] = frozenset()
    prio: dict[int, float] = field(default_factory=dict)


@dataclass
class _Doc:
    toks: list[str]
    sent: list[int]
    n_title: int
    dateline_end: int
    occ: dict[int, list[Span]]
    list_pos: set[int]


def _resolve(
    occ: dict[int, list[Span]], uids: "frozenset[int] | dict[int, object]", masked: list[Span] | None = None, prio: dict | None = None
) -> list[tuple[int, int, int]]:
    """Occurrences of ``uids`` without overlaps (longest first, then higher ``prio``, then
    leftmost), minus those inside a masked span. Returns (start, end, uid) sorted by start."""
    cands = []
    for u, spans in occ.items():
        if u in uids:
            for s, e in spans:
                cands.append((s, e, u))
    if not cands:
        return []
    if masked:
        cands = [c for c in cands if not any(ms <= c[0] and c[1] <= me for ms, me in masked)]
    if len(cands) > 1:
        if prio:
            cands.sort(key=lambda c: (c[0] - c[1], -prio.get(c[2], 0.0), c[0]))
        else:
            cands.sort(key=lambda c: (c[0] - c[1], c[0]))
        taken: list[tuple[int, int, int]] = []
        used: set[int] = set()
        for c in cands:
            if any(p in used for p in range(c[0], c[1])):
                continue
            taken.append(c)
            used.update(range(c[0], c[1]))
        taken.sort()
        return taken
    return cands


class Tagger:
    """Compiled rules + gazetteers. Thread-safe and immutable after construction."""

    version: str
    topics: list[str]

    _default_lock = threading.Lock()
    _default_cache: dict[tuple, "Tagger"] = {}

    def __init__(self, rules: RulesFile, gazetteers: dict[str, Gazetteer], *, source: str = "<rules>"):
        self.version = rules.version
        self.topics = [t.name for t in rules.topics]
        self.source = source
        self._rules = rules
        self._gaz = gazetteers
        self._lex = Lexicon()
        self._title_weight = rules.settings.title_weight
        self._cap = rules.settings.cap
        self._list = rules.settings.list
        self._dateline = rules.settings.dateline
        self._global_groups: dict[str, list[str]] = rules.groups
        self._compiled: list[_Topic] = [self._compile_topic(t) for t in rules.topics]
        self._list_group = self._group_ref(self._list.group, {}, "settings.list") if self._list else None
        # gazetteers that feed the columns but are not used by any topic
        used = {g.name for t in rules.topics for g in t.gazetteers}
        self._free_entries: dict[int, Entry] = {}
        for g in gazetteers.values():
            if g.feeds_columns and g.name not in used:
                for e in g.entries:
                    for a in _strong_aliases(e):
                        self._free_entries[self._uid(a, f"gazetteer {g.name}", e.name)] = e

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_file(cls, topics_path: str | Path, gazetteer_dir: str | Path | None = None) -> "Tagger":
        """Load and compile topics.yaml and the gazetteers (default: $MARSAD_GAZETTEERS, else
        ``gazetteers/`` beside the topics file, else the repo's seeds/gazetteers).
        Compiled taggers are cached while the files are unchanged (same paths, sizes, mtimes)."""
        topics_path = Path(topics_path)
        if gazetteer_dir is None:
            gazetteer_dir = os.environ.get("MARSAD_GAZETTEERS")
        if gazetteer_dir is None:
            beside = topics_path.parent / "gazetteers"
            gazetteer_dir = beside if beside.is_dir() else Path(marsad.__file__).resolve().parents[2] / "seeds" / "gazetteers"
        gdir = Path(gazetteer_dir)
        key = (str(topics_path.resolve()), str(gdir.resolve()), _stamp(topics_path, gdir))
        with cls._default_lock:
            t = cls._default_cache.get(key)
        if t is not None:
            return t
        rules = load_rules(topics_path)
        gaz = load_gazetteers(gdir)
        t = cls(rules, gaz, source=str(topics_path))
        with cls._default_lock:
            cls._default_cache[key] = t
        return t

    @classmethod
    def default(cls) -> "Tagger":
        """seeds/topics.yaml of the repo (or $MARSAD_TOPICS), gazetteers beside it; cached."""
        path = os.environ.get("MARSAD_TOPICS") or str(Path(marsad.__file__).resolve().parents[2] / "seeds" / "topics.yaml")
        return cls.from_file(path)

    def _uid(self, term: str, rule: str, what: str = "") -> int:
        try:
            return self._lex.uid(term)
        except ValueError as e:
            raise TopicsConfigError(self.source, rule, f"{what + ': ' if what else ''}{e}") from None

    def _group_ref(self, ref: str, local: dict[str, _Group], rule: str, topic: Topic | None = None) -> _Group:
        if ref in local:
            return local[ref]
        if ref.startswith("gaz:"):
            parts = ref.split(":")
            g = self._gaz.get(parts[1]) if len(parts) >= 2 else None
            if g is None or len(parts) > 3:
                raise TopicsConfigError(self.source, rule, f"unknown gazetteer reference {ref!r}")
            kind = parts[2] if len(parts) == 3 else None
            keys: dict[int, str] = {}
            for e in g.entries:
                if kind and e.kind != kind:
                    continue
                for a in [*_strong_aliases(e), *e.weak]:
                    keys.setdefault(self._uid(a, rule, e.name), e.name)
            return _Group(frozenset(keys), keys)
        terms = None
        if topic is not None:
            if ref in topic.groups:
                terms = topic.groups[ref]
            else:
                for ts in topic.terms:
                    if ts.id == ref:
                        terms = ts.terms
        if terms is None and ref in self._global_groups:
            terms = self._global_groups[ref]
        if terms is None:
            raise TopicsConfigError(self.source, rule, f"unknown group {ref!r}")
        keys = {}
        for term in terms:
            keys.setdefault(self._uid(term, rule), term)
        return _Group(frozenset(keys), keys)

    def _terms_group(self, items: list[str], topic: Topic, local: dict[str, _Group], rule: str) -> _Group:
        """near/unless_near lists: group references or literal terms."""
        uids: dict[int, str] = {}
        for it in items:
            if it.startswith("gaz:") or it in topic.groups or it in self._global_groups or any(ts.id == it for ts in topic.terms):
                g = self._group_ref(it, local, rule, topic)
                uids.update(g.key)
            else:
                uids.setdefault(self._uid(it, rule), it)
        return _Group(frozenset(uids), uids)

    def _compile_topic(self, t: Topic) -> _Topic:
        where = f"topics[{t.name}]"
        weighted: dict[int, _Weighted] = {}

        def add(uid: int, w: _Weighted) -> None:
            old = weighted.get(uid)
            if old is None or abs(w.weight) > abs(old.weight):
                weighted[uid] = w

        for ts in t.terms:
            rule = f"{where}.terms[{ts.id}]"
            for term in ts.terms:
                add(self._uid(term, rule), _Weighted(ts.weight, term, ts.cap or self._cap))
        for gref in t.gazetteers:
            rule = f"{where}.gazetteers[{gref.name}]"
            g = self._gaz.get(gref.name)
            if g is None:
                raise TopicsConfigError(self.source, rule, f"no gazetteer named {gref.name!r} (seeds/gazetteers/*.yaml)")
            for e in g.entries:
                w = gref.weights.get(e.kind)
                if w is None:
                    continue
                w = w * e.weight
                for a in _strong_aliases(e):
                    label = e.name if a == e.name else f"{a} ({e.name})"
                    add(self._uid(a, rule, e.name), _Weighted(w, label, self._cap, e, g.feeds_columns))
                for a in e.weak:  # ambiguous: half weight, counted once
                    add(self._uid(a, rule, e.name), _Weighted(w * 0.5, f"{a} ({e.name}?)", 1, e, g.feeds_columns, weak=True))
        local: dict[str, _Group] = {}
        for name in t.groups:
            local[name] = self._group_ref(name, {}, f"{where}.groups[{name}]", t)
        exclusions = []
        for ex in t.exclusions:
            rule = f"{where}.exclusions[{ex.id}]"
            mask = frozenset(self._uid(m, rule) for m in ex.mask)
            near = self._terms_group(ex.near, t, local, rule) if ex.near else None
            unless = self._terms_group(ex.unless_near, t, local, rule) if ex.unless_near else None
            exclusions.append(_Exclusion(ex.id, mask, near, unless, ex.within, ex.scope == "article"))
        discounts = []
        for d in t.discounts:
            rule = f"{where}.discounts[{d.id}]"
            discounts.append(
                _Discount(
                    d.id,
                    d.factor,
                    self._terms_group(d.near, t, local, rule) if d.near else None,
                    d.within,
                    self._terms_group(d.when, t, local, rule) if d.when else None,
                    d.min,
                    d.in_title,
                )
            )
        conds = []
        cond_ids: set[str] = set()

        def ref(r: str, rule: str):
            if r in cond_ids and r not in local and r not in self._global_groups:
                return ("cond", r)
            return ("group", r, self._group_ref(r, local, rule, t))

        for c in t.conditions:
            rule = f"{where}.conditions[{c.id}]"
            if c.all_of:
                items = [[ref(x, rule) for x in (it if isinstance(it, list) else [it])] for it in c.all_of]
                conds.append(_Condition(c.id, "all_of", items, c.within, c.min, c.weight))
            elif c.any_of:
                conds.append(_Condition(c.id, "any_of", [ref(x, rule) for x in c.any_of], None, c.min, c.weight))
            else:
                conds.append(_Condition(c.id, "distinct", [ref(c.distinct, rule)], None, c.min, c.weight))
            cond_ids.add(c.id)
        qualified = set(t.calendar.qualifies) if t.calendar else set()
        ct = _Topic(t.name, t.threshold, weighted, exclusions, discounts, local, conds, list(t.require), t.calendar, qualified)
        ct.weighted_uids = frozenset(weighted)
        ct.prio = {u: abs(w.weight) for u, w in weighted.items()}
        return ct

    # ------------------------------------------------------------------ tagging
    def _analyse(self, title: str, text: str) -> _Doc:
        toks: list[str] = []
        sent: list[int] = []
        sid = 0
        ntitle = normalize_for_match(title or "")
        for s in split_sentences(ntitle):
            ws = _TOKEN_RE.findall(s)
            toks.extend(ws)
            sent.extend([sid] * len(ws))
            sid += 1
        n_title = len(toks)
        ntext = normalize_for_match(text or "")
        dateline_end = n_title
        if self._dateline is not None:
            m = _DATELINE_RE.match(ntext)
            if m:
                k = len(_TOKEN_RE.findall(m.group(1)))
                if k <= self._dateline.max_tokens:
                    dateline_end = n_title + k
        for s in split_sentences(ntext):
            ws = _TOKEN_RE.findall(s)
            toks.extend(ws)
            sent.extend([sid] * len(ws))
            sid += 1
        occ = self._lex.match(toks)
        list_pos: set[int] = set()
        if self._list is not None and self._list_group is not None:
            items = _resolve(occ, self._list_group.uids)
            chain: list[tuple[int, int, int]] = []
            for it in items + [(10**9, 10**9, -1)]:
                if chain and it[0] - chain[-1][1] <= self._list.max_gap and sent[it[0]] == sent[chain[-1][0]]:
                    chain.append(it)
                    continue
                if len(chain) >= self._list.min_items:
                    for s, e, _ in chain:
                        list_pos.update(range(s, e))
                chain = [it]
        return _Doc(toks, sent, n_title, dateline_end, occ, list_pos)

    def tag(self, title: str, text: str, published_at: datetime | date | None = None) -> TagResult:
        doc = self._analyse(title, text)
        topics: list[str] = []
        hits: list[dict] = []
        people: dict[str, None] = {}
        places: dict[str, None] = {}
        for ct in self._compiled:
            accepted, score, evidence, ents = self._eval_topic(ct, doc, published_at)
            if accepted:
                topics.append(ct.name)
                hits.append({"topic": ct.name, "score": score, "evidence": evidence})
            for e, weak in ents:
                if weak and not accepted:
                    continue
                if e.kind == "person":
                    people.setdefault(e.name)
                elif e.kind in ("place", "country"):
                    places.setdefault(e.name)
        for s, e, u in _resolve(doc.occ, self._free_entries):
            ent = self._free_entries[u]
            if ent.kind == "person":
                people.setdefault(ent.name)
            elif ent.kind in ("place", "country"):
                places.setdefault(ent.name)
        return TagResult(topics, hits, list(people), list(places))

    def _eval_topic(self, ct: _Topic, doc: _Doc, published_at):
        occ = doc.occ
        # 1. exclusions -> masked spans
        masked: list[Span] = []
        evidence_ex: list[str] = []
        for ex in ct.exclusions:
            spans = _resolve(occ, ex.mask)
            if not spans:
                continue
            if ex.near is not None or ex.unless is not None:
                ctx = _resolve(occ, (ex.near or ex.unless).uids)
                keep = []
                for s, e, u in spans:
                    close = any(cs - e < ex.within + 1 and s - ce < ex.within + 1 and not (cs >= s and ce <= e) for cs, ce, _ in ctx)
                    if close == (ex.near is not None):
                        keep.append((s, e, u))
                if ex.article and keep:
                    hit_uids = {u for _, _, u in keep}
                    keep = [sp for sp in spans if sp[2] in hit_uids]
                spans = keep
            if spans:
                masked.extend((s, e) for s, e, _ in spans)
                evidence_ex.append(f"excluded {ex.id}: {self._lex.terms[spans[0][2]].text} ×{len(spans)}")
        # 2. weighted terms
        raw = 0.0
        evidence: list[str] = []
        per_uid: dict[int, list[float]] = {}
        first_pos: dict[int, int] = {}
        article_factor = 1.0
        near_discounts = []
        for d in ct.discounts:
            if d.when is not None:
                n = len(_resolve(occ, d.when.uids))
                if n >= d.min:
                    article_factor *= d.factor
                    evidence_ex.append(f"discount {d.id}: ×{d.factor} ({n} mentions)")
            else:
                near_discounts.append((d, _resolve(occ, d.near.uids)))
        used_discounts: dict[str, int] = {}
        surfaces: dict[int, set[str]] = {}
        for s, e, u in _resolve(occ, ct.weighted_uids, masked, ct.prio):
            in_title = s < doc.n_title
            f = self._title_weight if in_title else 1.0
            if s in doc.list_pos:
                f *= self._list.factor
            if self._dateline is not None and doc.n_title <= s < doc.dateline_end:
                f *= self._dateline.factor
            if not in_title:
                f *= article_factor
            for d, ctx in near_discounts:
                if in_title and not d.in_title:
                    continue
                if any(cs - e <= d.within and s - ce <= d.within and doc.sent[cs] == doc.sent[s] for cs, ce, _ in ctx):
                    f *= d.factor
                    used_discounts[d.id] = used_discounts.get(d.id, 0) + 1
            per_uid.setdefault(u, []).append(f)
            first_pos.setdefault(u, s)
            surfaces.setdefault(u, set()).add(" ".join(doc.toks[s:e]))
        ents: list[tuple[Entry, bool]] = []
        for u in sorted(per_uid, key=lambda x: first_pos[x]):
            w = ct.weighted[u]
            fs = sorted(per_uid[u], reverse=True)[: w.cap]
            contrib = w.weight * sum(fs)
            raw += contrib
            n = len(per_uid[u])
            if contrib != 0:
                label = w.label
                if "~" in label:  # show how a nisba term was written in the article
                    forms = surfaces[u]
                    label = f"{label} ({'، '.join(sorted(forms)[:3])})"
                evidence.append(f"{label} ×{n}" if n > 1 else label)
            if w.entry is not None and w.feeds:
                ents.append((w.entry, w.weak))
        for did, n in used_discounts.items():
            evidence_ex.append(f"discount {did}: ×{n}")
        # 3. conditions
        in_window = None
        if ct.calendar is not None:
            in_window = hcal.in_windows(published_at, ct.calendar.windows, ct.calendar.lead_days)
        group_cache: dict[str, list[tuple[int, int, int]]] = {}

        def group_occ(r) -> list[tuple[int, int, int]]:
            name, g = r[1], r[2]
            got = group_cache.get(name)
            if got is None:
                if name in ct.qualified and in_window is None:
                    got = []
                else:
                    got = _resolve(occ, g.uids, masked)
                group_cache[name] = got
            return got

        truth: dict[str, bool] = {}
        for c in ct.conditions:
            ok = False
            detail = ""
            if c.kind == "any_of":
                for r in c.items:
                    if r[0] == "cond":
                        if truth.get(r[1]):
                            ok, detail = True, r[1]
                            break
                    else:
                        o = group_occ(r)
                        if o:
                            ok, detail = True, self._lex.terms[o[0][2]].text
                            break
            elif c.kind == "distinct":
                r = c.items[0]
                o = group_occ(r)
                keys = list(dict.fromkeys(r[2].key[u] for _, _, u in o))
                ok = len(keys) >= c.min
                detail = ", ".join(keys[: max(c.min, 3)])
            else:
                ok, detail = self._all_of(c, ct, doc, truth, group_occ)
            truth[c.id] = ok
            if ok:
                raw += c.weight
                evidence.append(f"{c.id}: {detail}" if detail else c.id)
        if ct.calendar is not None and in_window is not None and any(truth.get(r) for r in ct.calendar.requires):
            raw += ct.calendar.weight
            y, m, d = in_window
            evidence.append(f"{ct.calendar.id}: {y}-{m:02d}-{d:02d} ({hcal.HIJRI_MONTHS[m]})")
        accepted = raw >= ct.threshold and all(truth.get(r) for r in ct.require)
        score = round(raw / (raw + ct.threshold), 3) if raw > 0 else 0.0
        return accepted, score, evidence + evidence_ex, ents

    def _all_of(self, c: _Condition, ct: _Topic, doc: _Doc, truth: dict, group_occ) -> tuple[bool, str]:
        lists: list[list[tuple[int, int, int]]] = []
        for alts in c.items:
            occs: list[tuple[int, int, int]] = []
            cond_ok = False
            for r in alts:
                if r[0] == "cond":
                    cond_ok = cond_ok or bool(truth.get(r[1]))
                else:
                    occs.extend(group_occ(r))
            if cond_ok:
                continue  # a true condition item places no position constraint
            if not occs:
                return False, ""
            lists.append(sorted(occs))
        if not lists:
            return True, ""
        text = self._lex.terms
        if c.within is None:
            return True, " + ".join(text[o[0][2]].text for o in lists)
        if c.within == "sentence":
            common = None
            for o in lists:
                ss = {doc.sent[s] for s, _, _ in o}
                common = ss if common is None else common & ss
                if not common:
                    return False, ""
            sid = min(common)
            parts = [text[next(u for s, _, u in o if doc.sent[s] == sid)].text for o in lists]
            return True, " + ".join(parts)
        # minimal window covering one occurrence of each item
        merged = sorted((s, i, u) for i, o in enumerate(lists) for s, _, u in o)
        need = len(lists)
        last: dict[int, tuple[int, int]] = {}
        for s, i, u in merged:
            last[i] = (s, u)
            if len(last) == need:
                lo = min(p for p, _ in last.values())
                if s - lo <= c.within:
                    return True, " + ".join(text[last[k][1]].text for k in range(need))
        return False, ""


def _stamp(topics_path: Path, gdir: Path) -> tuple:
    files = [topics_path, *sorted(gdir.glob("*.yaml"))] if gdir.is_dir() else [topics_path]
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((f.name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((f.name, None, None))
    return tuple(out)


def _strong_aliases(e: Entry) -> list[str]:
    """Canonical name + aliases, minus any that is listed as weak (a canonical name like سرت can
    be declared weak as =سرت)."""
    weak = {normalize_for_match(w.strip("=~")) for w in e.weak}
    return [a for a in dict.fromkeys([e.name, *e.aliases]) if normalize_for_match(a.strip("=~")) not in weak]


def _parse_when(v) -> datetime | None:
    if v in (None, ""):
        return None
    if not isinstance(v, str):
        raise ValueError(f"published_at must be an ISO 8601 string, got {type(v).__name__}")
    s = v.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"published_at is not ISO 8601: {v!r}") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d


def tag_jsonl(lines: Iterable[str], tagger: Tagger) -> Iterator[str]:
    """Tag JSON lines {"id","title","text","published_at"} -> {"id","topics","topic_hits"}. A bad
    line yields {"id": ..., "error": "..."} and tagging goes on."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        rid = None
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("line is not a JSON object")
            rid = obj.get("id")
            title = obj.get("title") or ""
            text = obj.get("text") or ""
            if not isinstance(title, str) or not isinstance(text, str):
                raise ValueError("title and text must be strings")
            if not title.strip() and not text.strip():
                raise ValueError("no title and no text")
            res = tagger.tag(title, text, _parse_when(obj.get("published_at")))
            out = {"id": rid, "topics": res.topics, "topic_hits": res.topic_hits}
        except Exception as e:  # noqa: BLE001 - one bad line must not stop the stream
            out = {"id": rid if rid is not None else f"line {n}", "error": f"{type(e).__name__}: {e}"}
        yield json.dumps(out, ensure_ascii=False)
