"""HTTP endpoints: staff login, resources, health, metrics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import Unauthorized

if TYPE_CHECKING:
    from .app import Runtime


LOGIN_FAILURES_ALLOWED = 10
LOGIN_FAILURE_WINDOW_S = 15 * 60


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


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
    staff = _runtime(request).staff
    name = username.strip().lower()
    # Password guessing is slowed per account name (Argon2id already makes each guess costly).
    # Keyed by the name only: no client address is kept, and unknown names count the same way.
    if await staff.failures(name) >= LOGIN_FAILURES_ALLOWED:
        return JSONResponse({"error": "rate_limited",
                             "detail": "too many failed sign-ins; try again later"}, 429)
    try:
        token = await staff.login(name, password)
    except Unauthorized:
        await staff.record_failure(name, LOGIN_FAILURE_WINDOW_S)
        return JSONResponse({"error": "unauthorized", "detail": "wrong username or password"},
                            401)
    await staff.clear_failures(name)
    return JSONResponse({"token": token.token, "role": token.role,
                         "expires_at": token.expires_at})


async def crisis_resources(request: Request) -> Response:
    return JSONResponse({"items": _runtime(request).crisis_resources})


async def self_help(request: Request) -> Response:
    return JSONResponse({"items": _runtime(request).self_help})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    runtime = _runtime(request)
    # Answered within a second whatever Redis does (down, restarting, frozen).
    if not await runtime.health.probe():
        return JSONResponse({"status": "unavailable", "redis": False,
                             "pubsub": runtime.hub.listening}, 503)
    if not runtime.hub.listening:
        return JSONResponse({"status": "unavailable", "redis": True, "pubsub": False}, 503)
    return JSONResponse({"status": "ready", "redis": True, "pubsub": True})


async def metrics(request: Request) -> Response:
    runtime = _runtime(request)
    metrics = runtime.metrics
    try:
        metrics.queue_length.set(await runtime.queue.length())
        metrics.helpers_available.set(await runtime.queue.helpers_online())
    except Exception:
        pass  # Redis down: the other metrics are still worth serving
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
