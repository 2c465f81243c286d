"""``/api/admin/*`` for the school's network (admin token) and ``GET /api/departments``
(public): staff accounts, departments, the audit trail.

Every endpoint checks the role on every call (``staff_auth.require_staff``): no or a wrong
token → 401, another role's token → 403. Bodies are validated with the pydantic models of
``core.network``: a malformed one → 422 with the fields at fault; a body that is not JSON →
400. Every change is audited with the admin's identity (``service.staffing``). Nothing about a
request is logged: bodies carry passwords.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core.errors import BadInput, Conflict, NotFound, PeerlineError, UnknownDepartment
from ..core.network import (
    DEPARTMENT_ID_RE,
    DepartmentIn,
    DepartmentPatch,
    PasswordIn,
    StaffIn,
    StaffPatch,
)
from ..store.audit import AuditQuery
from ..store.staff import USERNAME_RE, InvalidStaff
from . import between_http
from .staff_auth import StaffIdentity, require_staff

if TYPE_CHECKING:
    from ..service.staffing import Staffing

log = logging.getLogger("peerline.admin")
ADMIN = ("admin",)
MAX_AUDIT_LIMIT = 1000
_STATUS: list[tuple[type[PeerlineError], int]] = [
    (between_http.TooLarge, 413), (InvalidStaff, 422), (UnknownDepartment, 422),
    (BadInput, 400), (NotFound, 404), (Conflict, 409),
]

AdminEndpoint = Callable[[Request, StaffIdentity], Awaitable[Response]]


def _staffing(request: Request) -> Staffing:
    return request.app.state.runtime.network.staffing  # type: ignore[no-any-return]


def admin(endpoint: AdminEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """Only for an admin's token; the server's own errors become their HTTP answers."""
    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        who = await require_staff(request, ADMIN)
        if isinstance(who, Response):
            return who
        try:
            return await endpoint(request, who)
        except PeerlineError as exc:
            status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
            if status == 500:
                log.error("admin endpoint failed: %s", type(exc).__name__)
            return JSONResponse({"error": exc.code, "detail": exc.detail}, status)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            return JSONResponse({"error": "bad_request", "detail": [
                {"loc": list(e["loc"]), "msg": e["msg"]} for e in errors]}, 422)

    return wrapped


M = TypeVar("M", bound=BaseModel)


async def _parsed(request: Request, model: type[M]) -> M:
    """The body as ``model``: not JSON → ``BadInput`` (400), wrong shape → ValidationError."""
    data = await between_http.body(request)
    return model.model_validate(data)


def _actor(who: StaffIdentity) -> str:
    return f"a.{who.username}"


def _username(request: Request) -> str:
    name = str(request.path_params["username"])
    if not USERNAME_RE.match(name):
        raise NotFound(f"no staff account {name!r}")
    return name


def _department(request: Request) -> str:
    dept = str(request.path_params["dept"])
    if not DEPARTMENT_ID_RE.match(dept):
        raise NotFound(f"no department {dept!r}")
    return dept


# -- staff -------------------------------------------------------------------------------------


@admin
async def staff_list(request: Request, who: StaffIdentity) -> Response:
    return JSONResponse({"items": await _staffing(request).items()},
                        headers={"Cache-Control": "no-store"})


@admin
async def staff_add(request: Request, who: StaffIdentity) -> Response:
    body = await _parsed(request, StaffIn)
    return JSONResponse(await _staffing(request).add(_actor(who), body), 201)


@admin
async def staff_patch(request: Request, who: StaffIdentity) -> Response:
    patch = await _parsed(request, StaffPatch)
    username = _username(request)
    if username == who.username and (patch.disabled or patch.role not in (None, "admin")):
        # Nobody may lock themselves out of the console they are using.
        raise Conflict("an admin cannot disable their own account or give up its role")
    return JSONResponse(await _staffing(request).change(_actor(who), username, patch))


@admin
async def staff_password(request: Request, who: StaffIdentity) -> Response:
    body = await _parsed(request, PasswordIn)
    await _staffing(request).set_password(_actor(who), _username(request), body.password)
    return Response(status_code=204)


@admin
async def staff_delete(request: Request, who: StaffIdentity) -> Response:
    username = _username(request)
    if username == who.username:
        raise Conflict("an admin cannot remove their own account")
    await _staffing(request).remove(_actor(who), username)
    return Response(status_code=204)


# -- departments -------------------------------------------------------------------------------


async def departments(request: Request) -> Response:
    """``GET /api/departments``: public, for the seeker page's optional choice."""
    items = await request.app.state.runtime.network.departments.items()
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-cache"})


@admin
async def department_add(request: Request, who: StaffIdentity) -> Response:
    body = await _parsed(request, DepartmentIn)
    return JSONResponse(await _staffing(request).add_department(_actor(who), body), 201)


@admin
async def department_patch(request: Request, who: StaffIdentity) -> Response:
    patch = await _parsed(request, DepartmentPatch)
    return JSONResponse(await _staffing(request).rename_department(
        _actor(who), _department(request), patch.name.zh, patch.name.en))


@admin
async def department_delete(request: Request, who: StaffIdentity) -> Response:
    await _staffing(request).remove_department(_actor(who), _department(request))
    return Response(status_code=204)


# -- the audit trail ---------------------------------------------------------------------------


@admin
async def audit(request: Request, who: StaffIdentity) -> Response:
    """``GET /api/admin/audit?from=&to=&kind=&department=&level=&alert=&limit=`` (times in ms)."""
    q = request.query_params
    query = AuditQuery(from_ms=_int(q, "from"), to_ms=_int(q, "to"),
                       kind=_word(q, "kind"), department=_word(q, "department"),
                       level=_word(q, "level"), alert=_word(q, "alert"),
                       limit=_int(q, "limit", 1, MAX_AUDIT_LIMIT) or 100)
    if query.from_ms is not None and query.to_ms is not None and query.from_ms > query.to_ms:
        raise BadInput("from is after to")
    return JSONResponse({"items": await _staffing(request).audit(query)},
                        headers={"Cache-Control": "no-store"})


def _int(q: Any, name: str, low: int = 0, high: int = 2**53) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{name}: a whole number") from None
    if not low <= value <= high:
        raise BadInput(f"{name}: {low} to {high}")
    return value


def _word(q: Any, name: str) -> str | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > 64:
        raise BadInput(f"{name}: at most 64 characters")
    return str(raw)


ROUTES = [
    Route("/api/departments", departments, methods=["GET"]),
    Route("/api/admin/staff", staff_list, methods=["GET"]),
    Route("/api/admin/staff", staff_add, methods=["POST"]),
    Route("/api/admin/staff/{username}", staff_patch, methods=["PATCH"]),
    Route("/api/admin/staff/{username}", staff_delete, methods=["DELETE"]),
    Route("/api/admin/staff/{username}/password", staff_password, methods=["POST"]),
    Route("/api/admin/departments", department_add, methods=["POST"]),
    Route("/api/admin/departments/{dept}", department_patch, methods=["PATCH"]),
    Route("/api/admin/departments/{dept}", department_delete, methods=["DELETE"]),
    Route("/api/admin/audit", audit, methods=["GET"]),
]
