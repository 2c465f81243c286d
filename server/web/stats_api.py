"""HTTP for the school's statistics and early warnings (admins only; PROTOCOL.md v1.1).

- ``GET /api/stats?from=&to=&by=`` anonymous counts, floored (``service/statistics.py``).
- ``GET /api/admin/warnings?state=open|all``, ``POST /api/admin/warnings/<id>/ack``,
  ``GET``/``PUT /api/admin/warnings/thresholds`` (``service/early_warning.py``).

Every call checks the role (``staff_auth.require_staff``): no token or a wrong one is 401,
another role's token 403, bad input 422 with ``{"error", "detail"}``. Nothing about a request
is logged.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core.errors import BadInput
from ..service.early_warning import item_of
from .between_http import answers, body, runtime
from .staff_auth import require_staff

ADMIN_ROLES = ("admin",)


class BadQuery(BadInput):
    """A query parameter that cannot be read (HTTP 422)."""

    code = "bad_request"


def _ms(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(f"{name}: epoch milliseconds, e.g. 1764806400000") from None
    if not 0 <= number <= 10**14:
        raise BadQuery(f"{name}: epoch milliseconds, e.g. 1764806400000")
    return number


def _unprocessable(exc: BadInput) -> Response:
    return JSONResponse({"error": exc.code, "detail": exc.detail}, 422)


@answers
async def stats(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN_ROLES), Response):
        return who
    rt = runtime(request)
    try:
        report = await rt.insight.statistics.report(
            _ms(request, "from"), _ms(request, "to"), request.query_params.get("by", "day"),
            rt.settings.stats_retention_s * 1000)
    except BadInput as exc:
        return _unprocessable(exc)
    return JSONResponse(report, headers={"Cache-Control": "no-store"})


@answers
async def warnings_list(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN_ROLES), Response):
        return who
    try:
        items = await runtime(request).insight.early_warning.listed(
            request.query_params.get("state", "open"))
    except BadInput as exc:
        return _unprocessable(exc)
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})


@answers
async def warning_ack(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN_ROLES), Response):
        return who
    wid = request.path_params["id"]
    if not 1 <= len(wid) <= 128:
        return _unprocessable(BadQuery("warning: 1 to 128 characters"))
    warning = await runtime(request).insight.early_warning.acknowledge(who.username, wid)
    return JSONResponse(item_of(warning))


@answers
async def thresholds_get(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN_ROLES), Response):
        return who
    found = await runtime(request).insight.early_warning.thresholds()
    return JSONResponse(found.model_dump())


@answers
async def thresholds_put(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN_ROLES), Response):
        return who
    values = await body(request)
    try:
        updated = await runtime(request).insight.early_warning.set_thresholds(
            who.username, values)
    except BadInput as exc:
        return _unprocessable(exc)
    return JSONResponse(updated.model_dump())


ROUTES = [
    Route("/api/stats", stats, methods=["GET"]),
    Route("/api/admin/warnings", warnings_list, methods=["GET"]),
    Route("/api/admin/warnings/thresholds", thresholds_get, methods=["GET"]),
    Route("/api/admin/warnings/thresholds", thresholds_put, methods=["PUT"]),
    Route("/api/admin/warnings/{id}/ack", warning_ack, methods=["POST"]),
]
