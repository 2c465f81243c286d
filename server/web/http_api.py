"""HTTP endpoints: staff login, resources, operating hours, canned replies, health, metrics."""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.canned import CannedPatch, CannedReply
from ..core.errors import (
    Busy,
    Conflict,
    EnrolmentRequired,
    NotFound,
    SecondFactorRequired,
    SlowDown,
    Unauthorized,
)
from .staff_auth import require_staff

if TYPE_CHECKING:
    from ..store.staff import LoginToken
    from .app import Runtime


DEVICE_COOKIE = "peerline_device"


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
    runtime = _runtime(request)
    if not runtime.settings.local_login:
        return JSONResponse({"error": "forbidden",
                             "detail": "sign in with the campus account"}, 403)
    name = username.strip().lower()
    otp = body.get("otp")  # the second factor, for accounts that have one (service/signin.py)
    otp = otp if isinstance(otp, str) else None

    def check() -> Awaitable[LoginToken]:
        return runtime.signin.with_password(name, password, otp)

    try:
        signed_in = await runtime.guard.login(username, request.cookies.get(DEVICE_COOKIE),
                                              check)
    except EnrolmentRequired as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail, "enrolment": exc.ticket},
                            401)
    except SecondFactorRequired as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail}, 401)
    except Unauthorized as exc:
        detail = exc.detail if otp else "wrong username or password"
        return JSONResponse({"error": "unauthorized", "detail": detail}, 401)
    except SlowDown as exc:
        wait = max(1, math.ceil(exc.retry_after_s))
        return JSONResponse({"error": "rate_limited", "detail": exc.detail, "retry_after_s": wait},
                            429, headers={"Retry-After": str(wait)})
    except Busy as exc:
        wait = max(1, math.ceil(exc.retry_after_s))
        return JSONResponse({"error": "busy", "detail": exc.detail, "retry_after_s": wait},
                            503, headers={"Retry-After": str(wait)})
    token = signed_in.token
    response = JSONResponse({"token": token.token, "role": token.role,
                             "expires_at": token.expires_at})
    # The trusted-device cookie (see store/signin_gate.py): HttpOnly, sent back only to this
    # endpoint, never to another site.
    response.set_cookie(DEVICE_COOKIE, signed_in.device,
                        max_age=runtime.settings.signin_device_ttl_s, path="/api/login",
                        httponly=True, samesite="strict", secure=_is_https(request))
    return response


def _is_https(request: Request) -> bool:
    return (request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "").lower() == "https")


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
    """``GET /metrics`` on the public port: only with ``Authorization: Bearer <token>``.

    Why gated: the counts describe the service's load and its crisis traffic (alerts, flags),
    which is not the public's business, and scraping is work anyone could ask of the process.
    With no token configured the endpoint does not exist here (404): operators scrape the
    loopback-only port (``PEERLINE_METRICS_LOCAL_PORT``) instead.
    """
    runtime = _runtime(request)
    token = runtime.settings.metrics_token
    expected = token.get_secret_value() if token is not None else ""
    if not expected:
        return JSONResponse({"error": "not_found"}, 404)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compared as bytes in constant time, so the answer's timing says nothing of the token.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             expected.encode()):
        return JSONResponse({"error": "unauthorized", "detail": "metrics need a bearer token"},
                            401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return await metrics_response(runtime)


async def local_metrics(request: Request) -> Response:
    """``GET /metrics`` on the loopback-only port: no token (only this machine can reach it)."""
    return await metrics_response(_runtime(request))


async def metrics_response(runtime: Runtime) -> Response:
    metrics = runtime.metrics
    try:
        metrics.queue_length.set(await runtime.queue.length())
        metrics.helpers_available.set(await runtime.queue.helpers_online())
    except Exception:
        pass  # Redis down: the other metrics are still worth serving
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def hours(request: Request) -> Response:
    """Operating hours, public: the seeker page says plainly when nobody is there."""
    return JSONResponse(await _runtime(request).intake.status(),
                        headers={"Cache-Control": "no-cache"})


# -- canned replies (staff) ------------------------------------------------------------------

STAFF_ROLES = ("helper", "counselor", "admin")
EDITOR_ROLES = ("counselor", "admin")
"""Who approves the wording."""
SUPERVISOR_ROLES = ("counselor", "admin")
"""Who may see the list of conversations to watch over."""


async def _staff_role(request: Request, allowed: tuple[str, ...]) -> Response | None:
    """None when the bearer token is of an ``allowed`` role; else the 401/403 answer."""
    found = await require_staff(request, allowed)
    return found if isinstance(found, Response) else None


async def _body(request: Request, model: type[CannedReply] | type[CannedPatch]
                ) -> CannedReply | CannedPatch | Response:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in errors]
        return JSONResponse({"error": "bad_request", "detail": detail}, 422)


async def canned_list(request: Request) -> Response:
    if (refused := await _staff_role(request, STAFF_ROLES)) is not None:
        return refused
    lang = request.query_params.get("lang") or None
    if lang not in (None, "zh", "en"):
        return JSONResponse({"error": "bad_request", "detail": "lang is zh or en"}, 400)
    return JSONResponse({"items": await _runtime(request).canned.items(lang)})


async def canned_add(request: Request) -> Response:
    if (refused := await _staff_role(request, EDITOR_ROLES)) is not None:
        return refused
    item = await _body(request, CannedReply)
    if isinstance(item, Response):
        return item
    assert isinstance(item, CannedReply)
    try:
        cid = await _runtime(request).canned.add(item)
    except Conflict as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail}, 409)
    return JSONResponse({"id": cid}, 201)


async def canned_put(request: Request) -> Response:
    if (refused := await _staff_role(request, EDITOR_ROLES)) is not None:
        return refused
    patch = await _body(request, CannedPatch)
    if isinstance(patch, Response):
        return patch
    assert isinstance(patch, CannedPatch)
    try:
        item = await _runtime(request).canned.update(request.path_params["id"], patch)
    except NotFound as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail}, 404)
    except ValidationError as exc:
        return JSONResponse({"error": "bad_request", "detail": str(exc)[:300]}, 422)
    return JSONResponse({"id": request.path_params["id"], **item.model_dump()})


async def canned_delete(request: Request) -> Response:
    if (refused := await _staff_role(request, EDITOR_ROLES)) is not None:
        return refused
    try:
        await _runtime(request).canned.delete(request.path_params["id"])
    except NotFound as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail}, 404)
    return Response(status_code=204)


# -- supervision (counselors) -----------------------------------------------------------------


async def active_sessions(request: Request) -> Response:
    """The conversations going on now, for a supervisor to choose one to watch (no seeker
    identity in it; see ``service.overview``)."""
    if (refused := await _staff_role(request, SUPERVISOR_ROLES)) is not None:
        return refused
    items = await _runtime(request).overview.active()
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})
