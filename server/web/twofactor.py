"""Second-factor enrolment for staff (TOTP, ``server/service/signin.py``).

    POST /api/2fa/enrol    → {"secret", "uri", "qr_svg"}         start (or restart) enrolment
    POST /api/2fa/confirm  {"code"} → {"recovery_codes": [...]}  the app's first code proves it

Who is enrolling is either the bearer of a staff token (``Authorization: Bearer …``, an account
that chooses a second factor) or, with ``{"enrolment": <ticket>}`` in the body, an account whose
password was right but whose role must use one (``otp_enrolment_required`` from the login):
confirming then also answers with its token, as a login does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import Unauthorized

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


async def _who(request: Request, body: dict[str, Any]) -> str:
    """The username enrolling: from the enrolment ticket or the bearer token."""
    runtime = _runtime(request)
    ticket = body.get("enrolment")
    if isinstance(ticket, str) and ticket:
        username = await runtime.signin_store.enrolment_user(ticket[:128])
        if username is None:
            raise Unauthorized("the enrolment expired; sign in again")
        return username
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    for role in ("counselor", "helper"):
        try:
            return (await runtime.staff.authenticate(token, role)).username
        except Unauthorized:
            continue
    raise Unauthorized("sign in first")


def _refused(exc: Unauthorized) -> Response:
    return JSONResponse({"error": exc.code, "detail": exc.detail}, 401)


def _bad() -> Response:
    return JSONResponse({"error": "bad_request", "detail": "send a JSON object"}, 400)


async def enrol(request: Request) -> Response:
    try:
        body = await _body(request)
        username = await _who(request, body)
    except ValueError:
        return _bad()
    except Unauthorized as exc:
        return _refused(exc)
    started = await _runtime(request).signin.begin_enrolment(username)
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
        username = await _who(request, body)
        codes = await runtime.signin.confirm_enrolment(username, code)
        answer: dict[str, Any] = {"recovery_codes": codes}
        if isinstance(body.get("enrolment"), str):
            token = await runtime.signin.after_enrolment(body["enrolment"][:128])
            answer.update(token=token.token, role=token.role, expires_at=token.expires_at)
    except ValueError:
        return _bad()
    except Unauthorized as exc:
        return _refused(exc)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
