"""Failure notifications shared by the Marsad DAGs (plugins/ is on sys.path of every Airflow component).

- ``MarsadFailureNotifier``: on task failure, one log line an operator can act on (DAG, run, task,
  outlet, interval, error) and, when the Airflow connection ``marsad_alerts`` exists, the same
  message POSTed as JSON to its URL (an HTTP connection: host incl. scheme, optional port and schema
  as path). A broken webhook is logged, never raised: alerts must not fail tasks.
- ``on_hourly_late``: the deadline callback of marsad_hourly (a run not finished in time).
"""

from __future__ import annotations

import logging

from airflow.sdk import BaseNotifier

log = logging.getLogger("marsad.alerts")
ALERT_CONN_ID = "marsad_alerts"


def describe_failure(context) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    interval = context.get("data_interval_start")
    outlet = context.get("outlet_id") or getattr(ti, "rendered_map_index", None)
    exc = context.get("exception")
    return (f"MARSAD FAILURE dag={getattr(dag_run, 'dag_id', '?')} run={getattr(dag_run, 'run_id', '?')} "
            f"task={getattr(ti, 'task_id', '?')} outlet={outlet or '-'} interval={interval} "
            f"error={type(exc).__name__ + ': ' + str(exc) if exc else 'unknown'}")


def webhook_url(conn) -> str | None:
    if conn is None or not conn.host:
        return None
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
    host = conn.host if "://" in conn.host else f"{scheme}://{conn.host}"
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.lstrip('/')}" if conn.schema else ""
    return f"{host}{port}{path}"


def send_alert(message: str) -> bool:
    """Log the alert; POST it to the ``marsad_alerts`` connection if configured. True if posted."""
    log.error(message)
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(ALERT_CONN_ID)
    except Exception:  # noqa: BLE001 - no connection configured: logging is the alert
        return False
    url = webhook_url(conn)
    if not url:
        return False
    try:
        import requests

        requests.post(url, json={"text": message}, timeout=5).raise_for_status()
        return True
    except Exception as exc:  # noqa: BLE001
        log.warning("alert webhook %s failed: %s", url, exc)
        return False


class MarsadFailureNotifier(BaseNotifier):
    """Task failure → log line (+ webhook). Use as ``on_failure_callback=MarsadFailureNotifier()``."""

    template_fields = ()

    def notify(self, context) -> None:
        send_alert(describe_failure(context))


def on_hourly_late(**kwargs) -> None:
    """Deadline missed: an hourly run is still not done long after its interval ended."""
    ctx = kwargs.get("context") or {}
    dag_run = ctx.get("dag_run") or {}
    run_id = dag_run.get("run_id") if isinstance(dag_run, dict) else getattr(dag_run, "run_id", "?")
    send_alert(f"MARSAD LATE dag=marsad_hourly run={run_id}: not finished {kwargs.get('minutes', '?')} minutes "
               "after it was queued; check the crawl pool, the workers and slow outlets")
