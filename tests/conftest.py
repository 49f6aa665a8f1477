"""Shared fixtures. Airflow gets a throw-away AIRFLOW_HOME (SQLite) per test session, set before any
Airflow import; the outlet mirror runs on free loopback ports with a fixed clock."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_AF_HOME = Path(tempfile.mkdtemp(prefix="marsad-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(_AF_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AF_HOME}/airflow.db",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "MARSAD_HOURLY_DEADLINE_MINUTES": "0",  # dag.test() cannot run DAGs with a deadline in Airflow 3.3.2
})
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))

# The mirror's "now": its articles are published in the 3 hours before this instant.
MIRROR_ANCHOR = datetime(2026, 2, 12, 12, 0, tzinfo=timezone.utc)


from tests_support import free_port_range as free_base_port  # noqa: E402


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the session's SQLite metadata DB once (a real `airflow db migrate`)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
    res = subprocess.run([str(bin_dir / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    subprocess.run([str(bin_dir / "airflow"), "pools", "set", "marsad_crawl", "2", "crawl pool"], env=env,
                   capture_output=True, text=True, timeout=120, check=True)
    return _AF_HOME


@pytest.fixture
def mirror(tmp_path):
    from marsad.mirror.server import Mirror

    m = Mirror(base_port=free_base_port(), anchor=MIRROR_ANCHOR).start()
    m.config_path = m.write_outlets_config(tmp_path / "outlets.mirror.yaml")
    yield m
    m.stop()


@pytest.fixture
def lake(tmp_path):
    return tmp_path / "lake"


@pytest.fixture
def mirror_anchor():
    return MIRROR_ANCHOR
