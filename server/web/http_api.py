"""HTTP endpoints: staff login, resources, operating hours, canned replies, health, metrics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.canned import CannedPatch, CannedReply
from ..core.errors import Conflict, NotFound, Unauthorized

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
    try:
        await runtime.redis.ping()
    except Exception:
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


async def hours(request: Request) -> Response:
    """Operating hours, public: the seeker page says plainly when nobody is there."""
    return JSONResponse(await _runtime(request).admission.status(),
                        headers={"Cache-Control": "no-cache"})


# -- canned replies (staff) ------------------------------------------------------------------

STAFF_ROLES = ("helper", "counselor")
EDITOR_ROLES = ("counselor",)
"""Who approves the wording (an ``admin`` role joins here)."""
SUPERVISOR_ROLES = ("counselor",)
"""Who may see the list of conversations to watch over (an ``admin`` role joins here)."""


async def _staff_role(request: Request, allowed: tuple[str, ...]) -> Response | None:
    """None when the bearer token is of an ``allowed`` role; else the 401/403 answer."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    staff = _runtime(request).staff
    for role in STAFF_ROLES:
        try:
            await staff.authenticate(token, role)
        except Unauthorized:
            continue
        if role in allowed:
            return None
        return JSONResponse({"error": "forbidden", "detail": f"a {role} cannot do this"}, 403)
    return JSONResponse({"error": "unauthorized", "detail": "sign in as staff"}, 401)


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
