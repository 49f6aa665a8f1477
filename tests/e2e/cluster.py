"""A real multi-process Airflow deployment for end-to-end tests, the topology of docker-compose.yml
without Docker: the machine's PostgreSQL (metadata DB + Celery results) and Redis (Celery broker),
and `airflow api-server`, `scheduler`, `dag-processor` and `celery worker` as separate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = "postgres@127.0.0.1:5432"


def _psql(sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(sql)
    con.close()


class AirflowCluster:
    def __init__(self, home: Path, port: int, extra_env: dict[str, str], *, executor: str = "CeleryExecutor",
                 redis_db: int = 7):
        self.home = home
        self.port = port
        self.db = f"marsad_e2e_{os.getpid()}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")},
            "MARSAD_HOURLY_DEADLINE_MINUTES": "50",  # the real scheduler path runs the deadline alert
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": executor,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{PG}/{self.db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:6379/{redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{PG}/{self.db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # a queue of its own: a stray worker of another run on the same Redis never steals our tasks
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"marsad_e2e_{os.getpid()}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__API__BASE_URL": self.base,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API_AUTH__JWT_SECRET": "e2e-only-secret",
            "AIRFLOW__API__SECRET_KEY": "e2e-only-secret",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the runs the test asks for
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            **extra_env,
        }

    # -- lifecycle -----------------------------------------------------------------------------
    def airflow(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        res = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        return res

    def start(self) -> "AirflowCluster":
        self.home.mkdir(parents=True, exist_ok=True)
        _psql(f"DROP DATABASE IF EXISTS {self.db}")
        _psql(f"CREATE DATABASE {self.db}")
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "marsad_crawl", "2", "crawl pool")
        commands = {
            "api-server": ["api-server", "--port", str(self.port), "--host", "127.0.0.1"],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
        }
        if self.env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor":
            commands["celery-worker"] = ["celery", "worker", "--concurrency", "2", "--queues",
                                         self.env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]]
        for name, args in commands.items():
            log = open(self.home / f"{name}.log", "w")
            self.procs[name] = subprocess.Popen([str(BIN / "airflow"), *args], env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_api()
        return self

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
        try:
            _psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass

    def logs(self, tail: int = 60) -> str:
        out = []
        for name in self.procs:
            lines = (self.home / f"{name}.log").read_text(errors="replace").splitlines()[-tail:]
            out.append(f"--- {name} ---\n" + "\n".join(lines))
        return "\n".join(out)

    # -- REST API ------------------------------------------------------------------------------
    def _wait_api(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with {p.returncode}\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.base}/auth/token", timeout=5) as r:
                    self.token = json.loads(r.read())["access_token"]
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        raise TimeoutError(f"api-server not up after {timeout}s\n{self.logs()}")

    def api(self, method: str, path: str, body: dict | None = None):
        req = urllib.request.Request(f"{self.base}/api/v2{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _ = self.api("GET", f"/dags/{dag_id}")
            if status == 200:
                return
            time.sleep(2)
        raise TimeoutError(f"{dag_id} not parsed after {timeout}s\n{self.logs()}")

    def trigger(self, dag_id: str, logical_date: str, conf: dict | None = None) -> str:
        status, body = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": logical_date, "conf": conf or {}})
        assert status == 200, body
        return body["dag_run_id"]

    def wait_runs(self, dag_id: str, run_ids: list[str] | None = None, *, expect: int | None = None,
                  timeout: float = 600) -> list[dict]:
        """Wait until the given runs (or `expect` runs of the DAG) are finished; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.api("GET", f"/dags/{dag_id}/dagRuns?limit=100")
            runs = body["dag_runs"] if status == 200 else []
            if run_ids is not None:
                runs = [r for r in runs if r["dag_run_id"] in run_ids]
                enough = len(runs) == len(run_ids)
            else:
                enough = expect is not None and len(runs) >= expect
            if enough and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            time.sleep(3)
        raise TimeoutError(f"runs of {dag_id} not finished after {timeout}s\n{self.logs()}")

    def wait_backfills(self, dag_id: str, *, expect: int, timeout: float = 900) -> list[dict]:
        """Wait until `expect` backfills of the DAG exist and the scheduler has completed all of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.api("GET", f"/backfills?dag_id={dag_id}")
            backfills = body["backfills"] if status == 200 else []
            if len(backfills) >= expect and all(b["completed_at"] for b in backfills):
                return backfills
            time.sleep(3)
        raise TimeoutError(f"backfills of {dag_id} not completed after {timeout}s\n{self.logs()}")
