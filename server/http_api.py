"""HTTP endpoints: staff login, resources, health, metrics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import Unauthorized

if TYPE_CHECKING:
    from .services import Services


def _svc(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def login(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
        username, password = body["username"], body["password"]
        if not isinstance(username, str) or not isinstance(password, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": "bad_request",
                             "detail": 'send JSON {"username": …, "password": …}'}, 400)
    if len(username) > 64 or len(password) > 1024:
        return JSONResponse({"error": "unauthorized", "detail": "wrong username or password"},
                            401)
    try:
        token = await _svc(request).staff.login(username.strip().lower(), password)
    except Unauthorized:
        return JSONResponse({"error": "unauthorized", "detail": "wrong username or password"},
                            401)
    return JSONResponse({"token": token.token, "role": token.role,
                         "expires_at": token.expires_at})


async def crisis_resources(request: Request) -> Response:
    return JSONResponse({"items": _svc(request).escalation.crisis_resources})


async def self_help(request: Request) -> Response:
    return JSONResponse({"items": _svc(request).escalation.self_help})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    svc = _svc(request)
    try:
        await svc.redis.ping()
    except Exception:
        return JSONResponse({"status": "unavailable", "redis": False,
                             "pubsub": svc.hub.listening}, 503)
    if not svc.hub.listening:
        return JSONResponse({"status": "unavailable", "redis": True, "pubsub": False}, 503)
    return JSONResponse({"status": "ready", "redis": True, "pubsub": True})


async def metrics(request: Request) -> Response:
    svc = _svc(request)
    try:
        svc.metrics.queue_length.set(await svc.queue.length())
        svc.metrics.helpers_available.set(await svc.queue.helpers_online())
    except Exception:
        pass  # Redis down: the other metrics are still worth serving
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
