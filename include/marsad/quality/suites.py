"""Run the committed Great Expectations suites of the file context in include/gx/ on a batch.

The GX 1.x file context (``include/gx/great_expectations.yml``) holds the suites as JSON under
``include/gx/expectations/`` (``articles``: row checks; ``fetch_log``: batch checks of one outlet-hour).
Everything GX writes at run time goes to the lake's ``quality/`` folder (``${MARSAD_QUALITY_DIR}`` in the
config, set here through the context's runtime_environment): validation results under
``quality/validations/`` and the Data Docs site under ``quality/data_docs/``.

Concurrency: mapped validate tasks open the context at the same time. :func:`_context` opens it as a
:class:`ReadOnlyFileDataContext` whose ``_save_project_config`` does nothing, so adding the in-memory pandas
data source never rewrites great_expectations.yml; each task stores only its own validation results
(key: suite / <outlet>-<interval> / interval start), so a re-run overwrites its own files and nothing else.
Data Docs are built by one task (marsad_daily), never per validation.

GX is imported lazily (it costs seconds) and called directly, with progress bars off and its INFO
logging silenced. Each expectation's ``meta`` carries:
- ``name``      the reason code written to quarantine.reason_codes (or the warning's name)
- ``severity``  critical (row goes to quarantine / batch publish stops) or warning (manifest + log)
- ``level``     row or batch
- ``frame``     which frame it runs on (default: the suite's name; ``articles`` also has ``topic_hits``,
                one row per article-topic; ``fetch_log`` also has ``batch``, one summary row)
- ``runtime_value_set``  value set filled at run time ("outlets" from config, "topics" from the taxonomy,
                "outlet" = the batch's own outlet)
- ``hint``      what an operator should do when it fails (batch checks)
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from marsad.config import REPO_ROOT, lake_root
from marsad.lake import storage

GX_DIR = REPO_ROOT / "include" / "gx"
SUITES = ("articles", "fetch_log")
log = logging.getLogger(__name__)
_KEEP_UNEXPECTED = 20  # stored validation results keep this many unexpected values per expectation


@dataclass
class ValidationOutcome:
    row_reasons: dict[int, list[str]] = field(default_factory=dict)  # row position -> failed critical names
    warnings: list[str] = field(default_factory=list)
    batch_failures: list[str] = field(default_factory=list)  # critical batch-level failures
    results: list[dict] = field(default_factory=list)  # name, severity, success, unexpected_count

    @property
    def publishable(self) -> bool:
        return not self.batch_failures


def quality_dir(lake: str | Path | None = None) -> Path:
    """Where GX's file stores live: ``<lake>/quality`` for a local lake; for an object-store lake a local
    mirror in the work directory, synced with ``<lake>/quality`` (results up after each validation, results
    down and the Data Docs site up in :func:`build_data_docs`)."""
    root = lake_root(lake)
    if storage.is_remote(root):
        return storage.work_dir() / "quality" / re.sub(r"[^A-Za-z0-9_.-]+", "_", str(root))
    return root / "quality"


def _sync_quality(lake, sub: str, *, up: bool, since: float | None = None) -> None:
    """Copy ``quality/<sub>`` between the local GX mirror and an object-store lake (no-op for a local lake)."""
    root = lake_root(lake)
    if not storage.is_remote(root):
        return
    local = quality_dir(lake) / sub
    remote = root / "quality" / sub
    if up:
        for f in sorted(local.rglob("*")) if local.is_dir() else []:
            if f.is_file() and (since is None or f.stat().st_mtime >= since):
                storage.put_bytes(f.read_bytes(), remote / f.relative_to(local).as_posix())
    else:
        for f in remote.rglob("*") if remote.is_dir() else []:
            if f.is_file():
                dest = local / f.path.removeprefix(remote.path).lstrip("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(f.read_bytes())


def _silence_gx() -> None:
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")] + ["great_expectations"]:
        logging.getLogger(name).setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _read_only_context_class():
    from great_expectations.data_context import FileDataContext

    class ReadOnlyFileDataContext(FileDataContext):
        """The committed file context, never written back: data sources stay in memory (no race between
        concurrent tasks on great_expectations.yml, no run-time edits of a reviewed file)."""

        def _save_project_config(self) -> None:
            return None

    return ReadOnlyFileDataContext


@lru_cache(maxsize=4)
def _context(quality: str):
    import great_expectations  # noqa: F401  (registers expectation types)
    from great_expectations.data_context.data_context.context_factory import (
        project_manager,
    )

    _silence_gx()
    cls = _read_only_context_class()
    ctx = cls(context_root_dir=str(GX_DIR), runtime_environment={"MARSAD_QUALITY_DIR": quality})
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    project_manager.set_project(ctx)
    _silence_gx()
    return ctx


def get_context(lake: str | Path | None = None):
    """The GX context of include/gx/ whose run-time stores point at ``<lake>/quality``."""
    ctx = _context(str(quality_dir(lake).resolve()))
    from great_expectations.data_context.data_context.context_factory import (
        project_manager,
    )

    project_manager.set_project(ctx)
    return ctx


def load_suite_json(name: str, lake: str | Path | None = None) -> dict:
    """The committed suite ``name`` loaded through the file context's expectations store, as a plain dict
    (``{"name", "meta", "expectations": [{"type", "kwargs", "meta"}]}``)."""
    ctx = get_context(lake)
    try:
        suite = ctx.suites.get(name)
    except Exception as exc:  # noqa: BLE001 (GX raises several types for a missing/bad suite)
        raise RuntimeError(f"GX suite {name!r} unreadable from {GX_DIR / 'expectations'}: {exc}") from None
    exps = []
    for e in suite.expectations:
        c = e.configuration
        exps.append({"type": c.type, "kwargs": json.loads(json.dumps(dict(c.kwargs), default=str)),
                     "meta": dict(c.meta or {})})
    return {"name": suite.name, "meta": dict(suite.meta or {}), "expectations": exps}


def _build_suite(name: str, expectations: list[dict]):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = gx.ExpectationSuite(name=name)
    for e in expectations:
        suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]))
    return suite


def _trim(result) -> None:
    """Keep stored results small: at most a few unexpected values (bodies can be 200 kB each)."""
    for r in result.results:
        res = r.result or {}
        for k in list(res):
            if k in ("unexpected_list", "unexpected_index_list", "partial_unexpected_list",
                     "partial_unexpected_index_list", "partial_unexpected_counts"):
                v = res[k]
                if isinstance(v, list):
                    res[k] = [x if not isinstance(x, str) else x[:200] for x in v[:_KEEP_UNEXPECTED]]
            elif k == "unexpected_index_query":
                res.pop(k)


def _store_result(ctx, result, suite_name: str, run_name: str, run_time: datetime, batch_id: str) -> None:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
                                     run_id=RunIdentifier(run_name=run_name, run_time=run_time),
                                     batch_identifier=batch_id)
    _trim(result)
    try:
        ctx.validation_results_store.set(key, result)
    except Exception as exc:  # noqa: BLE001 — results are for the docs; never lose a batch over them
        log.warning("could not store GX validation result %s: %s", key.to_tuple(), exc)


def _describe_failure(meta: dict, kwargs: dict, df, result: dict) -> str:
    name = meta.get("name", "?")
    column = kwargs.get("column")
    if "observed_value" in result:
        text = f"{name}: observed {result['observed_value']}"
    elif column is not None and len(df) == 1 and column in df:
        value = df[column].iloc[0]
        shown = f"{value:.3g}" if isinstance(value, float) and not math.isnan(value) else str(value)
        bounds = f"[{kwargs.get('min_value', '')}, {kwargs.get('max_value', '')}]"
        text = f"{name}: {column}={shown} outside {bounds}"
    else:
        n = len(result.get("unexpected_index_list") or []) or result.get("unexpected_count", "?")
        text = f"{name}: {n} unexpected value(s) in {column}"
    return f"{text} — {meta['hint']}" if meta.get("hint") else text


def validate_frames(suite_name: str, frames: dict, runtime_sets: dict[str, list], *, lake: str | Path | None = None,
                    run_name: str | None = None, run_time: datetime | None = None,
                    spec: dict | None = None) -> ValidationOutcome:
    """Validate pandas ``frames`` against the committed suite ``suite_name``.

    ``frames`` maps frame names to DataFrames; a frame other than the suite's main frame whose rows point at
    rows of the main frame carries a ``row`` column (e.g. ``topic_hits``). With ``run_name``/``run_time`` the
    results are stored in ``<lake>/quality/validations/`` (one file per suite frame and run, overwritten by a
    re-run) for the Data Docs."""
    ctx = get_context(lake)
    spec = spec or load_suite_json(suite_name, lake)
    started = time.time() - 1
    outcome = ValidationOutcome()
    by_frame: dict[str, list[dict]] = {}
    for e in spec["expectations"]:
        e = json.loads(json.dumps(e))
        if (key := e["meta"].get("runtime_value_set")):
            e["kwargs"]["value_set"] = list(runtime_sets[key])
        by_frame.setdefault(e["meta"].get("frame", suite_name), []).append(e)
    ds_name = f"marsad_{suite_name}"
    ds = ctx.data_sources.all().get(ds_name) or ctx.data_sources.add_pandas(ds_name)
    for frame_name, expectations in by_frame.items():
        df = frames.get(frame_name)
        if df is None or len(df) == 0:
            continue
        if frame_name in [a.name for a in ds.assets]:
            ds.delete_asset(frame_name)
        asset = ds.add_dataframe_asset(frame_name)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": df})
        gx_name = suite_name if frame_name == suite_name else f"{suite_name}.{frame_name}"
        res = batch.validate(_build_suite(gx_name, expectations), result_format={"result_format": "COMPLETE"})
        for r in res.results:
            meta = r.expectation_config.meta or {}
            name, severity, level = meta.get("name", r.expectation_config.type), meta.get("severity", "warning"), meta.get("level", "row")
            unexpected = r.result.get("unexpected_index_list") or []
            outcome.results.append({"suite": suite_name, "name": name, "severity": severity, "level": level,
                                    "success": bool(r.success), "unexpected_count": len(unexpected), "frame": frame_name,
                                    "column": r.expectation_config.kwargs.get("column")})
            if r.success:
                continue
            if severity == "critical" and level == "row":
                rows = [int(df["row"].iloc[i]) if "row" in df.columns else int(i) for i in unexpected]
                for row in rows:
                    reasons = outcome.row_reasons.setdefault(row, [])
                    if name not in reasons:
                        reasons.append(name)
            elif severity == "critical":
                outcome.batch_failures.append(_describe_failure(meta, r.expectation_config.kwargs, df, r.result))
            else:
                outcome.warnings.append(_describe_failure(meta, r.expectation_config.kwargs, df, r.result))
        if run_name and run_time is not None:
            _store_result(ctx, res, gx_name, run_name, run_time, run_name)
        ds.delete_asset(frame_name)
    if run_name and run_time is not None:
        _sync_quality(lake, "validations", up=True, since=started)
    return outcome


def build_data_docs(lake: str | Path | None = None, day=None) -> dict:
    """Build the GX Data Docs site into ``<lake>/quality/data_docs/``: the suites' pages, the validation
    results of ``day`` (all stored results when None) and the index. One call per day (marsad_daily), so
    validate tasks never pay for it and never race on the site's files."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    _sync_quality(lake, "validations", up=False)
    ctx = get_context(lake)
    keys = [k for k in ctx.validation_results_store.list_keys() if isinstance(k, ValidationResultIdentifier)]
    if day is not None:
        keys = [k for k in keys if str(k.run_id.run_time)[:10] == f"{day:%Y-%m-%d}"]
    ids = [ExpectationSuiteIdentifier(name=s) for s in SUITES] + keys
    ctx.build_data_docs(resource_identifiers=ids)
    index = quality_dir(lake) / "data_docs" / "index.html"
    if storage.is_remote(lake_root(lake)):
        _sync_quality(lake, "data_docs", up=True)
        index = lake_root(lake) / "quality" / "data_docs" / "index.html"
    log.info("GX Data Docs: %s (%d validation results)", index, len(keys))
    return {"index": str(index), "validation_results": len(keys)}
