"""Airflow plugin "Media monitor": a FastAPI app mounted in the API server at ``/marsad-monitor`` and an
external view in the Airflow navigation (Browse → Media monitor, shown inside the UI at ``/plugin/media-monitor``).

    GET /marsad-monitor/            the HTML page (per outlet: last successful crawl, articles per hour over 48 h,
                                    failure classes, quarantine rate; per topic: articles per day)
    GET /marsad-monitor/data.json   the same figures as JSON

Both read the lake (``MARSAD_LAKE``) with DuckDB through :mod:`marsad.monitor`; outlet display names come from
the outlets config (``MARSAD_OUTLETS``, default ``seeds/outlets.yaml``). By default the 48-hour window ends at the
latest interval in the lake; ``?now=2026-02-12T12:00Z`` ends it at a given time instead, ``?hours=N`` (1-336)
and ``?days=N`` (1-90) change its lengths.

Access needs an Airflow user, like the rest of the UI: the UI's ``_token`` cookie (the page opens inside the UI)
or an ``Authorization: Bearer`` JWT (``POST /auth/token``). A browser without a session is sent to the auth
manager's login page and back; ``data.json`` answers 401.

Import cost: only FastAPI here (every Airflow component imports plugins); duckdb, pyarrow and the marsad
package are imported inside the request handlers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger("marsad.monitor")

URL_PREFIX = "/marsad-monitor"


async def _authorized_user(request: Request):
    """The Airflow user of this request (bearer JWT, else the UI's cookie), or None."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView

    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    if not token:
        return None
    auth_manager = get_auth_manager()
    try:
        user = await auth_manager.get_user_from_token(token)
    except Exception:  # noqa: BLE001 - expired or invalid token: treat as signed out
        return None
    if user is None or not auth_manager.is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status_code=403, detail="Forbidden")
    return user


def _parse_now(now: str | None) -> datetime | None:
    if not now:
        return None
    try:
        t = datetime.fromisoformat(now.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(status_code=400, detail=f"now={now!r} is not an ISO 8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _data(now: str | None, hours: int, days: int) -> dict:
    from marsad.monitor import monitor_data

    return monitor_data(now=_parse_now(now), hours=hours, days=days)


def create_app() -> FastAPI:
    app = FastAPI(title="Marsad media monitor", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request, now: str | None = None, hours: int = Query(48, ge=1, le=336),
                   days: int = Query(14, ge=1, le=90)):
        if await _authorized_user(request) is None:
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=307)
        from starlette.concurrency import run_in_threadpool

        from marsad.monitor import render_monitor_html

        data = await run_in_threadpool(_data, now, hours, days)  # DuckDB is blocking: off the event loop
        return HTMLResponse(render_monitor_html(data), headers={"Cache-Control": "no-store"})

    @app.get("/data.json")
    async def data_json(request: Request, now: str | None = None, hours: int = Query(48, ge=1, le=336),
                        days: int = Query(14, ge=1, le=90)):
        if await _authorized_user(request) is None:
            raise HTTPException(status_code=401, detail="Not authenticated")
        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(_data, now, hours, days), headers={"Cache-Control": "no-store"})

    return app


class MarsadMonitorPlugin(AirflowPlugin):
    name = "marsad_monitor"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Media monitor"}]
    external_views = [{
        "name": "Media monitor",
        "href": f"{URL_PREFIX}/",
        "destination": "nav",
        "category": "browse",
        "url_route": "media-monitor",
    }]
