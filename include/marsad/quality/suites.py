"""Run the committed Great Expectations suites (include/gx/expectations/*.json) on a batch.

GX is imported lazily (it costs seconds) and called directly, with progress bars off and its INFO
logging silenced. Each expectation's ``meta`` carries:
- ``name``      the reason code written to quarantine.reason_codes
- ``severity``  critical (row goes to quarantine / batch publish stops) or warning (manifest + log)
- ``level``     row or batch
- ``frame``     which frame it runs on: "articles" (default) or "topic_hits" (one row per article-topic)
- ``runtime_value_set``  value set filled at run time from config ("outlets") or the taxonomy ("topics")
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache

from marsad.config import REPO_ROOT

GX_DIR = REPO_ROOT / "include" / "gx"
log = logging.getLogger(__name__)


@dataclass
class ValidationOutcome:
    row_reasons: dict[int, list[str]] = field(default_factory=dict)  # row position -> failed critical names
    warnings: list[str] = field(default_factory=list)
    batch_failures: list[str] = field(default_factory=list)  # critical batch-level failures
    results: list[dict] = field(default_factory=list)  # name, severity, success, unexpected_count

    @property
    def publishable(self) -> bool:
        return not self.batch_failures


def load_suite_json(name: str) -> dict:
    path = GX_DIR / "expectations" / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"GX suite {path} unreadable: {exc}") from None


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")] + ["great_expectations"]:
        logging.getLogger(name).setLevel(logging.WARNING)

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return ctx


def _build_suite(ctx, name: str, expectations: list[dict]):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = gx.ExpectationSuite(name=name)
    for e in expectations:
        suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]))
    return suite


def validate_frames(suite_name: str, frames: dict, runtime_sets: dict[str, list]) -> ValidationOutcome:
    """Validate pandas ``frames`` ({"articles": df, "topic_hits": df_with_row_column}) against a suite.
    ``topic_hits`` must have a ``row`` column pointing at the article's position."""
    spec = load_suite_json(suite_name)
    ctx = _context()
    outcome = ValidationOutcome()
    by_frame: dict[str, list[dict]] = {}
    for e in spec["expectations"]:
        e = json.loads(json.dumps(e))
        if (key := e["meta"].get("runtime_value_set")):
            e["kwargs"]["value_set"] = list(runtime_sets[key])
        by_frame.setdefault(e["meta"].get("frame", "articles"), []).append(e)
    ds = ctx.data_sources.add_or_update_pandas(f"marsad_{suite_name}")
    for frame_name, expectations in by_frame.items():
        df = frames[frame_name]
        if df is None or len(df) == 0:
            continue
        asset = ds.add_dataframe_asset(frame_name)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": df})
        suite = _build_suite(ctx, f"{suite_name}.{frame_name}", expectations)
        res = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        for r in res.results:
            meta = r.expectation_config.meta or {}
            name, severity, level = meta.get("name", r.expectation_config.type), meta.get("severity", "warning"), meta.get("level", "row")
            unexpected = r.result.get("unexpected_index_list") or []
            outcome.results.append({"name": name, "severity": severity, "success": bool(r.success),
                                    "unexpected_count": len(unexpected), "frame": frame_name})
            if r.success:
                continue
            if severity == "critical" and level == "row":
                rows = [int(df["row"].iloc[i]) if frame_name != "articles" else int(i) for i in unexpected]
                for row in rows:
                    reasons = outcome.row_reasons.setdefault(row, [])
                    if name not in reasons:
                        reasons.append(name)
            elif severity == "critical":
                outcome.batch_failures.append(f"{name}: {r.result.get('observed_value', 'failed')}")
            else:
                outcome.warnings.append(f"{name}: {r.result.get('observed_value', len(unexpected))}")
        ds.delete_asset(frame_name)
    return outcome
