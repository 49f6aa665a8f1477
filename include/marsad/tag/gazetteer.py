"""Gazetteers: people, organisations and places, one YAML file per country or list.

File format (seeds/gazetteers/*.yaml)::

    name: libya                  # referenced from topics.yaml as gaz:libya
    feeds_columns: true          # whether matches fill the people/places columns
    provenance: ...
    entries:
      - name: خليفة حفتر          # canonical name (what the people/places columns store)
        en: Khalifa Haftar
        kind: person             # person | org | place | country
        aliases: [حفتر, المشير حفتر]   # rule-language terms (see marsad.tag.rules)
        weak: [المشير]           # ambiguous aliases: half weight, counted once, shown in the columns only
                                 # when a topic using the gazetteer is accepted
        weight: 1.0              # optional multiplier of the topic's weight for the kind

The canonical name is always an alias too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from marsad.tag.rules import TopicsConfigError, compile_term, read_yaml, validate_file

Kind = Literal["person", "org", "place", "country"]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    en: str | None = None
    kind: Kind
    aliases: list[str] = []
    weak: list[str] = []
    weight: float = 1.0  # multiplies the topic's weight for this kind (e.g. 0.5 for a historical figure)
    note: str | None = None


class Gazetteer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str | None = None
    provenance: str | None = None
    feeds_columns: bool = True
    entries: list[Entry] = Field(min_length=1)


def load_gazetteer(path: str | Path) -> Gazetteer:
    path = Path(path)
    gaz = validate_file(path, read_yaml(path), Gazetteer, "name and entries")
    for i, ent in enumerate(gaz.entries):
        for t in [ent.name, *ent.aliases, *ent.weak]:
            try:
                compile_term(t)
            except ValueError as e:
                raise TopicsConfigError(path, f"entries[{ent.name or i}]", str(e)) from None
    return gaz


def load_gazetteers(directory: str | Path) -> dict[str, Gazetteer]:
    directory = Path(directory)
    out: dict[str, Gazetteer] = {}
    if not directory.is_dir():
        return out
    for p in sorted(directory.glob("*.yaml")):
        g = load_gazetteer(p)
        if g.name in out:
            raise TopicsConfigError(p, "name", f"duplicate gazetteer name {g.name!r}")
        out[g.name] = g
    return out
