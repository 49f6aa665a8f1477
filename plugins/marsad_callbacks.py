"""Failure callbacks shared by the Marsad DAGs (plugins/ is on sys.path of every Airflow component).

``on_task_failure`` writes one line an operator can act on: which outlet, which interval, which
stage, and the error, so the failing outlet is visible without opening the stack trace.
"""

from __future__ import annotations

import logging

log = logging.getLogger("marsad.alerts")


def describe_failure(context) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    interval = context.get("data_interval_start")
    outlet = context.get("outlet_id") or (ti.rendered_map_index if ti is not None and getattr(ti, "rendered_map_index", None) else None)
    exc = context.get("exception")
    return (f"MARSAD FAILURE dag={getattr(dag_run, 'dag_id', '?')} run={getattr(dag_run, 'run_id', '?')} "
            f"task={getattr(ti, 'task_id', '?')} outlet={outlet or '-'} interval={interval} "
            f"error={type(exc).__name__ + ': ' + str(exc) if exc else 'unknown'}")


def on_task_failure(context) -> None:
    log.error(describe_failure(context))
