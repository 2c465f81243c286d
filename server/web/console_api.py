"""The operator console's own endpoints: ``/admin`` (the page), live settings and the live
overview (``/api/admin/settings``, ``/api/admin/overview``).

Every call checks the caller's role (``staff_auth.require_staff``: no or a wrong token → 401,
another role's → 403). A change is validated whole before anything is stored (422 with each
field's complaint), applied on this process at once and on the others within 2 s, and
written to the audit trail with who made it. Nothing here is logged but which settings changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.live_settings import SettingsChange
from .staff_auth import require_staff

if TYPE_CHECKING:
    from .app import Runtime

ADMIN = ("admin",)
MAX_BODY_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def settings_get(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN), Response):
        return who
    return JSONResponse(await _runtime(request).live.current(), headers=NO_STORE)


async def settings_put(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN), Response):
        return who
    raw = await _bounded_body(request)
    if raw is None:
        return JSONResponse({"error": "too_large",
                             "detail": f"body over {MAX_BODY_BYTES} bytes"}, 413)
    try:
        json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"error": "bad_request", "detail": "the body is not JSON"}, 400)
    try:
        change = SettingsChange.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        detail = [{"loc": [str(part) for part in e["loc"]], "msg": e["msg"]} for e in errors]
        return JSONResponse({"error": "bad_request", "detail": detail}, 422)
    # The actor as every audit record names staff: their uid (``a.<username>`` for an admin).
    current = await _runtime(request).live.change(change, actor=f"{who.role[0]}.{who.username}")
    return JSONResponse(current, headers=NO_STORE)


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None once it is past MAX_BODY_BYTES (read no further: a client cannot
    make the process hold a large upload in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            return None
    return data


async def overview(request: Request) -> Response:
    if isinstance(who := await require_staff(request, ADMIN), Response):
        return who
    return JSONResponse(await _runtime(request).dashboard.overview(), headers=NO_STORE)
