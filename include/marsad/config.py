"""Configuration: pydantic models for outlets and crawl settings, loaded from seeds/*.yaml.

Environment overrides (all optional):
- ``MARSAD_OUTLETS``  path of the outlets file (default: seeds/outlets.yaml of the repo)
- ``MARSAD_TOPICS``   path of the topics file (default: seeds/topics.yaml)
- ``MARSAD_LAKE``     lake root (default: ./data/lake of the repo)
- ``MARSAD_USER_AGENT``, ``MARSAD_ALLOW_PRIVATE_HOSTS`` (comma separated host[:port] list) override settings.

Every problem in a config file raises :class:`ConfigError` whose message names the file, the
place in it (``outlets[2] (id=foo).discovery[0].url``) and the reason.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "seeds"
OUTLET_ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ConfigError(ValueError):
    """A configuration file is unreadable or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscoveryEntry(_Strict):
    """One way to find article URLs of an outlet."""

    type: Literal["rss", "atom", "jsonfeed", "feed", "sitemap", "listing"]
    url: str
    link_selector: str | None = None  # listing pages: CSS selector of article links (default: all links)
    checked_live: bool | None = None  # false: URL taken from an inventory, not verified against the live site

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"must be an http(s) URL, got {v!r}")
        return v


class ExtractionHints(_Strict):
    """Per-outlet CSS selectors that override the generic extractors."""

    title: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    drop: list[str] = Field(default_factory=list)


class Outlet(_Strict):
    id: str
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    timezone: str = "UTC"
    language: str = "ar"
    enabled: bool = True
    discovery: list[DiscoveryEntry] = Field(min_length=1)
    extraction: ExtractionHints | None = None
    crawl_delay_s: float | None = Field(default=None, ge=0)
    max_articles_per_run: int | None = Field(default=None, ge=1)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not OUTLET_ID_RE.match(v):
            raise ValueError(
                f"outlet id {v!r} is invalid: use 2-40 characters, lower-case ASCII letters, digits and '_', "
                "starting with a letter"
            )
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r} (use an IANA name such as Africa/Cairo)") from None
        return v


class CrawlSettings(_Strict):
    user_agent: str = "MarsadBot/0.1 (Arabic news monitoring; +https://example.org/marsad)"
    delay_s: float = Field(default=2.0, ge=0)  # politeness delay between requests to one host
    max_concurrency_per_host: int = Field(default=2, ge=1, le=16)  # simultaneous requests to one host
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=1.0, ge=0)
    max_articles_per_run: int = Field(default=200, ge=1)
    allow_private_hosts: list[str] = Field(default_factory=list)  # host or host:port allowed although private/loopback


class OutletsFile(_Strict):
    version: int = 1
    settings: CrawlSettings = Field(default_factory=CrawlSettings)
    outlets: list[Outlet] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "OutletsFile":
        seen: set[str] = set()
        for o in self.outlets:
            if o.id in seen:
                raise ValueError(f"duplicate outlet id {o.id!r}")
            seen.add(o.id)
        return self

    def outlet(self, outlet_id: str) -> Outlet:
        for o in self.outlets:
            if o.id == outlet_id:
                return o
        raise ConfigError(f"unknown outlet {outlet_id!r}; known: {', '.join(o.id for o in self.outlets)}")

    def enabled_ids(self) -> list[str]:
        return [o.id for o in self.outlets if o.enabled]

    def select(self, ids: list[str] | None) -> list[Outlet]:
        """The enabled outlets, or exactly the given ids (unknown ids raise ConfigError)."""
        if not ids:
            return [o for o in self.outlets if o.enabled]
        return [self.outlet(i) for i in ids]


def _where(data: object, loc: tuple) -> str:
    """Human path for a pydantic error location, naming the outlet id where possible."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict) and "id" in node[item]:
                label += f" (id={node[item]['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
        try:
            node = node[item]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "(top level)"


def format_validation_error(path: Path | str, data: object, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {e['loc'][-1]!r}"
        elif e["type"] == "missing":
            msg = f"required key {e['loc'][-1]!r} is missing"
        lines.append(f"{path}: {_where(data, e['loc'])}: {msg}")
    return "; ".join(lines)


def read_yaml(path: Path | str) -> object:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None


def outlets_path() -> Path:
    return Path(os.environ.get("MARSAD_OUTLETS") or SEEDS_DIR / "outlets.yaml")


def load_outlets(path: Path | str | None = None) -> OutletsFile:
    """Load and validate an outlets file; env overrides are applied to its settings."""
    path = Path(path) if path else outlets_path()
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'settings' and 'outlets', got {type(data).__name__}")
    try:
        cfg = OutletsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, data, exc)) from None
    overrides: dict = {}
    if ua := os.environ.get("MARSAD_USER_AGENT"):
        overrides["user_agent"] = ua
    if hosts := os.environ.get("MARSAD_ALLOW_PRIVATE_HOSTS"):
        overrides["allow_private_hosts"] = [h.strip() for h in hosts.split(",") if h.strip()]
    if overrides:
        cfg = cfg.model_copy(update={"settings": cfg.settings.model_copy(update=overrides)})
    return cfg


@lru_cache(maxsize=8)
def _cached_outlets(path: str, mtime: float) -> OutletsFile:
    return load_outlets(path)


def outlets_cached(path: Path | str | None = None) -> OutletsFile:
    p = Path(path) if path else outlets_path()
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _cached_outlets(str(p), mtime)


def topics_path() -> Path:
    return Path(os.environ.get("MARSAD_TOPICS") or SEEDS_DIR / "topics.yaml")


def lake_root(override: str | Path | None = None) -> Path:
    """The lake root: a Path for a local lake, a UPath for an object-store URI (``s3://bucket/prefix``)."""
    from marsad.lake.storage import as_path

    return as_path(override or os.environ.get("MARSAD_LAKE") or REPO_ROOT / "data" / "lake")
