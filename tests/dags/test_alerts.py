"""Failure alerts reach the log and the optional webhook connection; a broken webhook never raises."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

import marsad_callbacks

RECEIVED: list[dict] = []


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        RECEIVED.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def webhook():
    RECEIVED.clear()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


def failure_context():
    ti = SimpleNamespace(task_id="crawl", rendered_map_index="tahyamisr")
    run = SimpleNamespace(dag_id="marsad_hourly", run_id="scheduled__2026-02-12T09:00:00+00:00")
    return {"ti": ti, "dag_run": run, "data_interval_start": "2026-02-12T09:00:00+00:00",
            "exception": RuntimeError("frontier state unreadable")}


def test_failure_alert_names_outlet_interval_and_error(webhook, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_MARSAD_ALERTS", f"http://127.0.0.1:{webhook}/hooks/marsad")
    with caplog.at_level(logging.ERROR, logger="marsad.alerts"):
        marsad_callbacks.MarsadFailureNotifier().notify(failure_context())
    line = caplog.records[-1].getMessage()
    assert "task=crawl" in line and "outlet=tahyamisr" in line and "interval=2026-02-12T09:00" in line
    assert "RuntimeError: frontier state unreadable" in line
    assert RECEIVED == [{"text": line}]


def test_without_connection_or_with_dead_webhook_nothing_raises(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_MARSAD_ALERTS", raising=False)
    assert marsad_callbacks.send_alert("x") is False
    monkeypatch.setenv("AIRFLOW_CONN_MARSAD_ALERTS", "http://127.0.0.1:9/nothing-listens")
    with caplog.at_level(logging.WARNING, logger="marsad.alerts"):
        assert marsad_callbacks.send_alert("y") is False
    assert any("webhook" in r.getMessage() for r in caplog.records)


def test_late_run_alert(caplog):
    with caplog.at_level(logging.ERROR, logger="marsad.alerts"):
        marsad_callbacks.on_hourly_late(minutes=50, context={"dag_run": {"run_id": "r1"}})
    assert "MARSAD LATE" in caplog.text and "run=r1" in caplog.text and "50 minutes" in caplog.text
