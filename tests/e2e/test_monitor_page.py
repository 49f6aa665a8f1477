"""The "Media monitor" plugin end to end: a lake built by the real pipeline over the outlet mirror (3 hours), a real
`airflow api-server` (SQLite metadata DB, plugins from plugins/), the page and its JSON fetched over HTTP and
compared with what DuckDB reads from the lake, the navigation entry checked through the REST API, and the page
rendered by headless Chromium, alone and inside the Airflow UI.
Screenshots: tests/artifacts/media_monitor.png (the page) and tests/artifacts/media_monitor_in_ui.png (inside the
Airflow UI). Chromium comes from scripts/install_test_deps.sh; without it the test skips."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests_support import free_port_range

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class ApiServer:
    """`airflow db migrate` into a fresh SQLite AIRFLOW_HOME, then `airflow api-server` alone."""

    def __init__(self, home: Path, port: int, extra_env: dict[str, str]):
        self.home, self.port = home, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")},
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__BASE_URL": self.base,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": "e2e-only-secret",
            "AIRFLOW__API__SECRET_KEY": "e2e-only-secret",
            **extra_env,
        }

    def start(self) -> "ApiServer":
        self.home.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=self.env, capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        self.log = self.home / "api-server.log"
        self.proc = subprocess.Popen(
            [str(BIN / "airflow"), "api-server", "--port", str(self.port), "--host", "127.0.0.1"], env=self.env,
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"api-server exited with {self.proc.returncode}\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.base}/auth/token", timeout=5) as r:
                    self.token = json.loads(r.read())["access_token"]
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        raise TimeoutError(f"api-server not up after 150s\n{self.logs()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def logs(self, tail: int = 80) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-tail:]) if self.log.exists() else ""

    def get(self, path: str, *, token: str | None = None) -> tuple[int, str, dict]:
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {token or self.token}"})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=60) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def chromium(url: str, profile: Path, *extra: str, timeout: int = 90) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, url]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stderr[-3000:]
    return res


def lake_figures(lake: Path, start, end) -> tuple[dict, dict, dict]:
    con = duckdb.connect()
    art = f"read_parquet('{lake}/articles/**/*.parquet', hive_partitioning=true)"
    per_outlet = dict(con.execute(f"SELECT outlet, count(*) FROM {art} WHERE interval_start >= ? AND "
                                  f"interval_start < ? GROUP BY 1", [start, end]).fetchall())
    per_topic_day = {(t, d.isoformat()): n for t, d, n in con.execute(
        f"SELECT t, date, count(*) FROM {art}, unnest(topics) AS u(t) GROUP BY ALL").fetchall()}
    failures = {(o, fc): n for o, fc, n in con.execute(
        f"SELECT outlet, failure_class, count(*) FROM read_parquet('{lake}/fetch_log/**/*.parquet', "
        f"hive_partitioning=true) WHERE failure_class IS NOT NULL GROUP BY ALL").fetchall()}
    return per_outlet, per_topic_day, failures


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run scripts/install_test_deps.sh "
                                              "(apt-get install -y chromium)")
def test_media_monitor_page_in_api_server_and_chromium(tmp_path, mirror, mirror_anchor, lake):
    from marsad.pipeline import run_interval

    hours = [mirror_anchor - timedelta(hours=h) for h in (3, 2, 1)]
    for h in hours:
        results = run_interval(h, lake=lake, config_path=mirror.config_path)
        assert all(r["ok"] for r in results), results
    window_end = hours[-1] + timedelta(hours=1)  # the latest interval in the lake ends at the anchor
    per_outlet, per_topic_day, failures = lake_figures(lake, window_end - timedelta(hours=48), window_end)
    assert set(per_outlet) == {"tahyamisr", "alwasat", "sudanile"} and sum(per_outlet.values()) >= 30

    server = ApiServer(tmp_path / "airflow", free_port_range(2),
                       {"MARSAD_LAKE": str(lake), "MARSAD_OUTLETS": str(mirror.config_path)})
    try:
        server.start()

        # the plugin is registered: FastAPI app + the "Media monitor" navigation entry
        status, body, _ = server.get("/api/v2/plugins")
        assert status == 200, body
        plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "marsad_monitor")
        assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/marsad-monitor"]
        view = next(v for v in plugin["external_views"] if v["name"] == "Media monitor")
        assert view["href"] == "/marsad-monitor/" and view["destination"] == "nav" and view["url_route"]
        status, body, _ = server.get("/api/v2/plugins/importErrors")
        assert status == 200 and "marsad" not in body, body

        # access needs a valid Airflow token (with all-admins, Airflow's middleware adds one to every request
        # that has none, so a wrong token is the way to see the check)
        assert server.get("/marsad-monitor/data.json", token="not-a-jwt")[0] == 401
        status, _, headers = server.get("/marsad-monitor/", token="not-a-jwt")
        assert status == 307 and "/auth/token/login?next=" in headers["location"], (status, headers)

        # the JSON equals what DuckDB reads from the lake
        status, body, _ = server.get("/marsad-monitor/data.json")
        assert status == 200, body + server.logs()
        data = json.loads(body)
        assert data["window"]["end"] == window_end.isoformat().replace("+00:00", "Z")
        outlets = {o["outlet"]: o for o in data["outlets"]}
        assert {o: outlets[o]["articles_window"] for o in per_outlet} == per_outlet
        assert {o: sum(x["n"] for x in outlets[o]["articles_per_hour"]) for o in per_outlet} == per_outlet
        for o in per_outlet:
            assert outlets[o]["status"] == "ok" and outlets[o]["last_success"]
            assert outlets[o]["last_success_interval"] == hours[-1].isoformat().replace("+00:00", "Z")
            assert outlets[o]["failure_classes"] == {fc: n for (oo, fc), n in failures.items() if oo == o}
        assert outlets["sudanile"]["quarantined"] >= 1  # the mirror's Persian page
        assert outlets["sudanile"]["quarantine_rate"] == pytest.approx(
            outlets["sudanile"]["quarantined"] / (outlets["sudanile"]["quarantined"] + per_outlet["sudanile"]), abs=1e-4)
        topics = {t["topic"]: {x["date"]: x["n"] for x in t["articles_per_day"]} for t in data["topics"]}
        assert per_topic_day and all(topics[t][d] == n for (t, d), n in per_topic_day.items())
        assert outlets["alwasat"]["name"] == "بوابة الوسط"

        # the HTML over HTTP carries the same numbers
        status, page, _ = server.get("/marsad-monitor/")
        assert status == 200 and "Media monitor" in page
        for o, n in per_outlet.items():
            assert re.search(rf'<tr data-outlet="{o}">.*?class="articles-window" data-n="{n}">{n}<', page, re.S), o

        # headless Chromium (a fresh profile, no session)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        url = f"{server.base}/marsad-monitor/"
        dom = chromium(url, tmp_path / "chromium-dom", "--dump-dom").stdout
        assert "<h1>Media monitor" in dom, dom[:2000]
        for o, n in per_outlet.items():
            assert re.search(rf'<tr data-outlet="{o}">.*?class="articles-window" data-n="{n}">{n}<', dom, re.S), o
        assert f'<div class="v" id="total-articles">{sum(per_outlet.values())}</div>' in dom
        assert "بوابة الوسط" in dom and "ليبيا" in dom
        shot = ARTIFACTS / "media_monitor.png"
        shot.unlink(missing_ok=True)
        chromium(url, tmp_path / "chromium-shot", f"--screenshot={shot}", "--window-size=1400,1000")
        assert shot.stat().st_size > 20_000

        # the page inside the Airflow UI (React app: external view rendered in an iframe)
        ui_url = f"{server.base}/plugin/{view['url_route']}"
        ui_dom = chromium(ui_url, tmp_path / "chromium-ui",
                          "--virtual-time-budget=15000", "--dump-dom").stdout
        assert re.search(r'<iframe[^>]+src="[^"]*/marsad-monitor/', ui_dom), ui_dom[-3000:]
        ui_shot = ARTIFACTS / "media_monitor_in_ui.png"
        ui_shot.unlink(missing_ok=True)
        chromium(ui_url, tmp_path / "chromium-ui-shot",
                 "--virtual-time-budget=15000", f"--screenshot={ui_shot}", "--window-size=1400,1000")
        assert ui_shot.stat().st_size > 20_000
    finally:
        server.stop()
