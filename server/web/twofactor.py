"""Second-factor enrolment for staff (TOTP, ``server/service/signin.py``).

    GET  /api/2fa          → {"enabled", "required", "recovery_left"}  the console's settings
    POST /api/2fa/enrol    → {"secret", "uri", "qr_svg"}         start (or restart) enrolment
    POST /api/2fa/confirm  {"code"} → {"recovery_codes": [...]}  the app's first code proves it

Who is enrolling is either the bearer of a staff token (``Authorization: Bearer …``, an account
that chooses a second factor) or, with ``{"enrolment": <ticket>}`` in the body, an account whose
password was right but whose role must use one (``otp_enrolment_required`` from the login):
confirming then also answers with its token, as a login does. An account that already has a
factor cannot enrol another (409): an admin resets it with ``peerline staff reset-2fa``.
A few wrong confirming codes void the enrolment (and its ticket): 401 ``enrolment_expired``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import Conflict, EnrolmentExpired, Unauthorized

if TYPE_CHECKING:
    from .app import Runtime


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValueError
    return body


@dataclass(frozen=True)
class _Enroller:
    username: str
    credential: str
    """The ticket or token it came with: wrong codes are counted against it."""
    ticket: str | None


async def _who(request: Request, body: dict[str, Any]) -> _Enroller:
    """Who is enrolling: from the enrolment ticket or the bearer token."""
    runtime = _runtime(request)
    ticket = body.get("enrolment")
    if isinstance(ticket, str) and ticket:
        ticket = ticket[:128]
        username = await runtime.signin_store.enrolment_user(ticket)
        if username is None:
            raise EnrolmentExpired("the enrolment expired; sign in again")
        return _Enroller(username, ticket, ticket)
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    for role in ("counselor", "helper"):
        try:
            return _Enroller((await runtime.staff.authenticate(token, role)).username, token,
                             None)
        except Unauthorized:
            continue
    raise Unauthorized("sign in first")


def _refused(exc: Unauthorized) -> Response:
    return JSONResponse({"error": exc.code, "detail": exc.detail}, 401)


def _bad() -> Response:
    return JSONResponse({"error": "bad_request", "detail": "send a JSON object"}, 400)


async def status(request: Request) -> Response:
    """Whether the signed-in account has a second factor (the console offers one if not)."""
    runtime = _runtime(request)
    try:
        who = await _who(request, {})
    except Unauthorized as exc:
        return _refused(exc)
    account = await runtime.staff.get(who.username)
    flags = await runtime.signin.flags(who.username)
    return JSONResponse({
        "enabled": flags.second_factor,
        "required": account is not None and account.role in runtime.signin.totp_required,
        "recovery_left": await runtime.signin_store.recovery_left(who.username),
    }, headers={"Cache-Control": "no-store"})


async def enrol(request: Request) -> Response:
    try:
        body = await _body(request)
        who = await _who(request, body)
        started = await _runtime(request).signin.begin_enrolment(who.username)
    except ValueError:
        return _bad()
    except Unauthorized as exc:
        return _refused(exc)
    except Conflict as exc:
        return JSONResponse({"error": exc.code, "detail": exc.detail}, 409)
    return JSONResponse({"secret": started.secret, "uri": started.uri, "qr_svg": started.qr_svg},
                        headers={"Cache-Control": "no-store"})


async def confirm(request: Request) -> Response:
    runtime = _runtime(request)
    try:
        body = await _body(request)
        code = body.get("code")
        if not isinstance(code, str) or len(code) > 64:
            return JSONResponse({"error": "bad_request", "detail": 'send {"code": "123456"}'},
                                400)
        who = await _who(request, body)
        codes = await runtime.signin.confirm_enrolment(who.username, code,
                                                       attempt=who.credential, ticket=who.ticket)
        answer: dict[str, Any] = {"recovery_codes": codes}
        if who.ticket is not None:
            token = await runtime.signin.after_enrolment(who.ticket)
            answer.update(token=token.token, role=token.role, expires_at=token.expires_at)
    except ValueError:
        return _bad()
    except Unauthorized as exc:
        return _refused(exc)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
