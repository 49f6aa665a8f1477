"""The topic rule language: pydantic models, the loader and the compiler.

``seeds/topics.yaml`` (documented in its header) declares, per topic:

- ``terms``: weighted term sets. A term is one or more words, written in ordinary Arabic
  spelling; it is normalised like the article text (``normalize_for_match``). Matching is on
  whole words and understands proclitics: ``ليبيا`` also matches وليبيا، بليبيا، لليبيا، فبليبيا;
  ``الخرطوم`` matches بالخرطوم، للخرطوم، والخرطوم. Two markers refine a word:
  ``ليبي~`` is a nisba adjective (ليبي، الليبي، الليبيه، ليبيين، الليبيون، لليبيين ...), and a
  leading ``=`` (``=سرت``) forbids proclitics on that word (for short names that collide with
  common words once a clitic is added).
- ``gazetteers``: names of gazetteer files (seeds/gazetteers/*.yaml) whose entries count as
  weighted terms, with a weight per entry kind (person, org, place, country).
- ``exclusions``: occurrences hidden from the topic (``mask``), optionally only ``near`` (or
  ``unless_near``) other terms within ``within`` words; ``scope: article`` hides every
  occurrence of the masked term once one occurrence qualifies. A masked phrase also hides the
  shorter terms inside it (جنوب السودان hides السودان).
- ``discounts``: multiply the weight of term occurrences ``near`` some context (e.g. sports
  fixtures) or, article-wide, ``when`` other terms occur at least ``min`` times (e.g. a South
  Sudan story); mentions in the title are spared unless ``in_title``.
- ``conditions``: named tests that add ``weight`` when true and can be required:
  ``all_of`` (every item present, optionally ``within`` N words or the same ``sentence``),
  ``any_of`` (at least one item present) and ``distinct`` (at least ``min`` distinct entries
  of a group or gazetteer). Items are group names, gazetteer references (``gaz:NAME`` or
  ``gaz:NAME:KIND``), term-set ids, earlier condition ids, or a list of those meaning "any of".
- ``require``: condition ids that must all hold for the topic to be accepted.
- ``threshold``: the accepted score (sum of weights) must reach it.
- ``calendar``: Hijri windows of the publication date; adds ``weight`` only when one of its
  ``requires`` conditions holds (the calendar is never the only evidence), and makes the
  ``qualifies`` groups count only inside the window.

Everything is compiled once into one lexicon: a dict from every surface form of every term's
first word to the terms that start with it, so tagging is one dict lookup per token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from marsad.text.arabic import nisba_forms, normalize_for_match, proclitic_forms, tokens

__all__ = [
    "TopicsConfigError",
    "RulesFile",
    "Topic",
    "load_rules",
    "compile_term",
    "Lexicon",
]


class TopicsConfigError(ValueError):
    """A topics.yaml or gazetteer file that cannot be used. The message names the file, the rule
    and the reason."""

    def __init__(self, file: str | Path, rule: str, reason: str):
        self.file = str(file)
        self.rule = rule
        self.reason = reason
        super().__init__(f"{self.file}: rule {rule}: {reason}")


_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class TermSet(_Model):
    id: str
    weight: float
    terms: list[str] = Field(min_length=1)
    cap: int | None = None  # occurrences counted per term (default: settings.cap)
    note: str | None = None


class GazetteerRef(_Model):
    name: str
    weights: dict[Literal["person", "org", "place", "country"], float]
    note: str | None = None


class Exclusion(_Model):
    id: str
    mask: list[str] = Field(min_length=1)
    near: list[str] | None = None
    unless_near: list[str] | None = None
    within: int = 3
    scope: Literal["occurrence", "article"] = "occurrence"
    note: str | None = None

    @model_validator(mode="after")
    def _one_context(self) -> "Exclusion":
        if self.near and self.unless_near:
            raise ValueError("give either near or unless_near, not both")
        if self.within < 0:
            raise ValueError("within must be >= 0")
        return self


class Discount(_Model):
    id: str
    factor: float = Field(ge=0, le=1)
    near: list[str] | None = None  # per occurrence: a weighted term within `within` words of these
    within: int = 4
    when: list[str] | None = None  # per article: these occur at least `min` times
    min: int = 1
    in_title: bool = False  # also discount mentions in the title
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Discount":
        if bool(self.near) == bool(self.when):
            raise ValueError("a discount has exactly one of near, when")
        return self


ItemRef = Union[str, list[str]]


class Condition(_Model):
    id: str
    all_of: list[ItemRef] | None = None
    any_of: list[str] | None = None
    distinct: str | None = None
    min: int = 2
    within: int | Literal["sentence"] | None = None
    weight: float = 0.0
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Condition":
        kinds = [k for k in ("all_of", "any_of", "distinct") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("a condition has exactly one of all_of, any_of, distinct")
        if self.within is not None and not self.all_of:
            raise ValueError("within applies to all_of only")
        if isinstance(self.within, int) and self.within < 1:
            raise ValueError("within must be >= 1 word")
        return self


class HijriWindow(_Model):
    month: int = Field(ge=1, le=12)
    from_day: int = Field(default=1, ge=1, le=30)
    to_day: int = Field(default=30, ge=1, le=30)


class CalendarRule(_Model):
    id: str
    windows: list[HijriWindow] = Field(min_length=1)
    lead_days: int = Field(default=0, ge=0, le=60)
    weight: float = 0.0
    requires: list[str] = Field(min_length=1)  # never the only evidence
    qualifies: list[str] = []
    note: str | None = None


class Topic(_Model):
    name: str
    label: str | None = None
    definition: str | None = None
    threshold: float = Field(gt=0)
    terms: list[TermSet] = []
    gazetteers: list[GazetteerRef] = []
    groups: dict[str, list[str]] = {}
    exclusions: list[Exclusion] = []
    discounts: list[Discount] = []
    conditions: list[Condition] = []
    require: list[str] = []
    calendar: CalendarRule | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"topic name {v!r} must be lower_snake_case")
        return v


class ListSetting(_Model):
    group: str
    min_items: int = 3
    max_gap: int = 2
    factor: float = 0.2


class DatelineSetting(_Model):
    max_tokens: int = 5
    factor: float = 0.0


class Settings(_Model):
    title_weight: float = 2.0
    cap: int = 3
    list: ListSetting | None = None
    dateline: DatelineSetting | None = None


class RulesFile(_Model):
    version: str
    description: str | None = None
    settings: Settings = Settings()
    groups: dict[str, list[str]] = {}
    topics: list[Topic] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise ValueError("version must be a non-empty string (quote it in YAML)")
        return v.strip()


# ---------------------------------------------------------------------------------------------
# Terms and the lexicon


@dataclass(frozen=True)
class CompiledTerm:
    text: str  # as written in the rules (for evidence)
    first: tuple[str, ...]  # surface forms of the first word
    rest: tuple[frozenset[str], ...]  # allowed surface forms of the following words


def _word_forms(word: str, first: bool) -> list[str]:
    exact = word.startswith("=")
    if exact:
        word = word[1:]
    nisba = word.endswith("~")
    if nisba:
        word = word[:-1]
    if not word:
        raise ValueError("empty word")
    if nisba:
        definite = word.startswith("ال")
        stem = word[2:] if definite else word
        bases = nisba_forms(stem)
        if definite:
            bases = ["ال" + b for b in bases]
        if exact:
            return bases
        if first:
            out: list[str] = []
            for b in bases:
                out.extend(proclitic_forms(b, allow_article=not definite))
            return out
        return bases + ([] if definite else ["ال" + b for b in bases])
    if exact or not first:
        return [word]
    return proclitic_forms(word)


def compile_term(term: str) -> CompiledTerm:
    """Compile one term string of the rule language (see the module docstring)."""
    if not isinstance(term, str) or not term.strip():
        raise ValueError("empty term")
    raw_words = term.split()
    words = []
    for w in raw_words:
        marker_pre = "=" if w.startswith("=") else ""
        marker_post = "~" if w.endswith("~") else ""
        core = w.strip("=~")
        norm = normalize_for_match(core)
        toks = tokens(norm)
        if len(toks) != 1 or toks[0] != norm:
            raise ValueError(f"term {term!r}: word {w!r} is not a single word after normalisation")
        words.append(marker_pre + norm + marker_post)
    forms = [_word_forms(w, i == 0) for i, w in enumerate(words)]
    return CompiledTerm(
        text=term.strip(),
        first=tuple(dict.fromkeys(forms[0])),
        rest=tuple(frozenset(f) for f in forms[1:]),
    )


class Lexicon:
    """All terms of all rules and gazetteers, compiled once. ``uid(term)`` registers a term and
    returns its id; ``match(tokens)`` returns every occurrence (start, end, uid), overlaps
    included (each consumer resolves overlaps among its own terms)."""

    def __init__(self) -> None:
        self._by_key: dict[str, int] = {}
        self.terms: list[CompiledTerm] = []
        self._first: dict[str, list[tuple[int, tuple[frozenset[str], ...]]]] = {}

    def uid(self, term: str) -> int:
        key = " ".join(term.split())
        if key in self._by_key:
            return self._by_key[key]
        ct = compile_term(term)
        uid = len(self.terms)
        self.terms.append(ct)
        self._by_key[key] = uid
        for f in ct.first:
            self._first.setdefault(f, []).append((uid, ct.rest))
        return uid

    def match(self, toks: list[str]) -> dict[int, list[tuple[int, int]]]:
        first = self._first
        out: dict[int, list[tuple[int, int]]] = {}
        n = len(toks)
        for i, t in enumerate(toks):
            cands = first.get(t)
            if cands is None:
                continue
            for uid, rest in cands:
                if rest:
                    k = len(rest)
                    if i + k >= n:
                        continue
                    ok = True
                    for j, allowed in enumerate(rest, 1):
                        if toks[i + j] not in allowed:
                            ok = False
                            break
                    if not ok:
                        continue
                    span = (i, i + k + 1)
                else:
                    span = (i, i + 1)
                lst = out.get(uid)
                if lst is None:
                    out[uid] = [span]
                else:
                    lst.append(span)
        return out


# ---------------------------------------------------------------------------------------------
# Loading


def _loc(err: dict) -> str:
    return ".".join(str(p) for p in err.get("loc", ()))


def _rule_name(data: Any, loc: tuple) -> str:
    """Human name of the rule at a pydantic error location: topics[1] -> the topic's name, etc."""
    parts: list[str] = []
    node = data
    for p in loc:
        try:
            node = node[p]
        except Exception:
            parts.append(str(p))
            node = None
            continue
        if isinstance(p, int) and isinstance(node, dict):
            name = node.get("name") or node.get("id")
            parts[-1:] = [f"{parts[-1] if parts else ''}[{name if name else p}]"]
        else:
            parts.append(str(p))
    return ".".join(parts) or "<file>"


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopicsConfigError(path, "<file>", "file not found") from None
    except OSError as e:
        raise TopicsConfigError(path, "<file>", f"cannot read: {e}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise TopicsConfigError(path, where, f"invalid YAML: {getattr(e, 'problem', e)}") from None


def validate_file(path: Path, data: Any, model, shape: str):
    """``data`` read from ``path`` validated as ``model``; a TopicsConfigError names the rule otherwise."""
    if not isinstance(data, dict):
        raise TopicsConfigError(path, "<file>", f"top level must be a mapping with {shape}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        raise TopicsConfigError(path, _rule_name(data, tuple(err.get("loc", ()))), err.get("msg", "invalid")) from None


def load_rules(path: str | Path) -> RulesFile:
    """Parse and validate topics.yaml (structure and cross-references; terms are checked when
    compiled). Raises TopicsConfigError naming the file, the rule and the reason."""
    path = Path(path)
    rules = validate_file(path, read_yaml(path), RulesFile, "version and topics")
    _check_references(path, rules)
    return rules


def _check_references(path: Path, rules: RulesFile) -> None:
    names = [t.name for t in rules.topics]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise TopicsConfigError(path, f"topics[{sorted(dup)[0]}]", "duplicate topic name")
    for t in rules.topics:
        where = f"topics[{t.name}]"
        ids: list[str] = []
        for kind, items in (
            ("terms", t.terms),
            ("exclusions", t.exclusions),
            ("discounts", t.discounts),
            ("conditions", t.conditions),
        ):
            for it in items:
                if not _ID_RE.match(it.id):
                    raise TopicsConfigError(path, f"{where}.{kind}[{it.id}]", "id must be lower_snake_case")
                if it.id in ids:
                    raise TopicsConfigError(path, f"{where}.{kind}[{it.id}]", "duplicate id in topic")
                ids.append(it.id)
        groups = set(rules.groups) | set(t.groups)
        term_ids = {ts.id for ts in t.terms}
        seen_conditions: set[str] = set()

        def check_ref(ref: str, rule: str, allow_conditions: bool = True) -> None:
            if ref.startswith("gaz:"):
                return  # checked once gazetteers are loaded
            if ref in groups or ref in term_ids:
                return
            if allow_conditions and ref in seen_conditions:
                return
            raise TopicsConfigError(path, rule, f"unknown reference {ref!r} (not a group, term set or earlier condition)")

        for c in t.conditions:
            rule = f"{where}.conditions[{c.id}]"
            refs: list[str] = []
            for it in c.all_of or []:
                refs.extend(it if isinstance(it, list) else [it])
            refs.extend(c.any_of or [])
            if c.distinct:
                refs.append(c.distinct)
                if c.min < 1:
                    raise TopicsConfigError(path, rule, "min must be >= 1")
            for r in refs:
                check_ref(r, rule)
            seen_conditions.add(c.id)
        for r in t.require:
            if r not in seen_conditions:
                raise TopicsConfigError(path, f"{where}.require", f"unknown condition {r!r}")
        if t.calendar is not None:
            cal = t.calendar
            rule = f"{where}.calendar[{cal.id}]"
            for r in cal.requires:
                if r not in seen_conditions:
                    raise TopicsConfigError(path, rule, f"requires unknown condition {r!r}")
            for g in cal.qualifies:
                if g not in groups:
                    raise TopicsConfigError(path, rule, f"qualifies unknown group {g!r}")
            if cal.weight >= t.threshold:
                raise TopicsConfigError(
                    path, rule, f"weight {cal.weight} reaches the threshold {t.threshold}: the calendar must never be the only evidence"
                )
            for w in cal.windows:
                if w.from_day > w.to_day:
                    raise TopicsConfigError(path, rule, f"window month {w.month}: from_day > to_day")
        for ex in t.exclusions:
            rule = f"{where}.exclusions[{ex.id}]"
            for r in (ex.near or []) + (ex.unless_near or []):
                if r.startswith("gaz:") or r in groups:
                    continue  # a literal term otherwise (compiled later)
        if not t.terms and not t.gazetteers:
            raise TopicsConfigError(path, where, "a topic needs terms or gazetteers")
    if rules.settings.list is not None and rules.settings.list.group not in rules.groups and not rules.settings.list.group.startswith("gaz:"):
        raise TopicsConfigError(path, "settings.list", f"unknown group {rules.settings.list.group!r}")
