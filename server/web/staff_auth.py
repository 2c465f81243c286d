"""Who is calling an HTTP endpoint that names staff roles: one check, on every call.

Every staff endpoint (canned replies, supervision, the operator's ``/api/admin/*``) asks the
same question: is there a bearer token, is it live, and is its role allowed here? The answer is
the caller's identity (for the audit trail: *who* changed what) or the HTTP refusal to send as
it is: no or a wrong token → 401, a token of another role → 403.

The role is read from the account on every call, never from the token alone, so a role changed
or an account disabled by an admin takes effect at once on every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import Unauthorized
from ..store.staff import StaffAccount

if TYPE_CHECKING:
    from .app import Runtime


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    """The signed-in staff member behind a request."""

    username: str
    role: str
    level: str | None
    """A counselor's level (``department`` or ``centre``); None for other roles."""
    department: str | None
    """A department counselor's department id; None otherwise."""

    @classmethod
    def of(cls, account: StaffAccount) -> StaffIdentity:
        counselor = account.role == "counselor"
        return cls(username=account.username, role=account.role,
                   level=account.level if counselor else None,
                   department=(account.department or None) if counselor else None)


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ('' when there is none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def require_staff(request: Request, roles: tuple[str, ...]) -> StaffIdentity | Response:
    """The caller if its bearer token is live and of one of ``roles``; otherwise the answer to
    send: 401 (no token, or a wrong, expired, revoked or disabled one), 403 (another role)."""
    runtime: Runtime = request.app.state.runtime
    token = bearer_token(request)
    try:
        account = await runtime.staff.signed_in(token)
    except Unauthorized:
        return JSONResponse({"error": "unauthorized", "detail": "sign in as staff "
                             "(Authorization: Bearer <token>)"}, 401,
                            headers={"WWW-Authenticate": 'Bearer realm="peerline"'})
    if account.role not in roles:
        return JSONResponse({"error": "forbidden",
                             "detail": f"a {account.role} cannot do this"}, 403)
    return StaffIdentity.of(account)
