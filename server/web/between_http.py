"""What the between-chats HTTP endpoints share: reading a JSON body, staff by bearer token,
and turning the server's errors into HTTP answers with a JSON ``detail``.

Roles: any signed-in staff member may *see* unpublished library items; only ``EDITOR_ROLES``
may change the library or review stories. ``admin`` is listed ahead of its arrival (issue 19):
adding or removing a role is this one constant.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    PeerlineError,
    RateLimited,
    Unauthorized,
)
from ..store.staff import StaffAccount

if TYPE_CHECKING:
    from .app import Runtime

EDITOR_ROLES: frozenset[str] = frozenset({"counselor", "admin"})
MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("peerline.between")

_STATUS: dict[type[PeerlineError], int] = {
    BadInput: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    RateLimited: 429,
}


class TooLarge(BadInput):
    """A body over MAX_BODY_BYTES (HTTP 413)."""

    code = "too_large"


Endpoint = Callable[[Request], Awaitable[Response]]


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def answers(endpoint: Endpoint) -> Endpoint:
    """Errors raised on purpose become their HTTP status with ``{"error", "detail"}``.

    Nothing about the request is logged: bodies carry stories, notes and diary keys.
    """
    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except TooLarge as exc:
            return JSONResponse({"error": exc.code, "detail": exc.detail}, 413)
        except PeerlineError as exc:
            status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
            if status == 500:
                log.error("between-chats endpoint failed: %s", type(exc).__name__)
            return JSONResponse({"error": exc.code, "detail": exc.detail}, status)

    return wrapped


async def body(request: Request) -> Any:
    """The request's JSON body, at most MAX_BODY_BYTES; ``BadInput`` if it is not JSON."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge(f"body over {MAX_BODY_BYTES} bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise TooLarge(f"body over {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("body: not JSON") from None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def staff(request: Request) -> StaffAccount | None:
    """The signed-in staff member, or None when no token is given (a wrong one is 401)."""
    token = bearer(request)
    if token is None:
        return None
    return await runtime(request).staff.signed_in(token)


async def editor(request: Request) -> StaffAccount:
    """A counselor or admin: no token is 401, a token of another role 403."""
    account = await staff(request)
    if account is None:
        raise Unauthorized("this needs a counselor's or admin's token (Authorization: Bearer)")
    if account.role not in EDITOR_ROLES:
        raise Forbidden(f"a {account.role} may not do this")
    return account


def query(request: Request, name: str, max_chars: int = 200) -> str | None:
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > max_chars:
        raise BadInput(f"{name}: at most {max_chars} characters")
    return value.strip()
