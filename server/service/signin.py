"""Signing staff in: a password and maybe a second factor, or a campus identity.

Every way in ends with ``StaffStore.issue``: the same expiring, revocable token. The campus
identity system (OIDC, CAS) says who someone is; Peerline still decides who is staff: the name
must be an existing, enabled account, and with ``sso_group_roles`` set, the person must also be
in an IdP group mapped to that account's role.

TOTP (RFC 6238, ``pyotp``): 6 digits, 30 s steps, one step of clock drift either way; each code
is accepted once (the step used is kept), and recovery codes are single-use.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyotp
import segno

from ..core.errors import (
    Conflict,
    EnrolmentExpired,
    EnrolmentRequired,
    NotStaff,
    SecondFactorRequired,
    Unauthorized,
)
from ..core.ids import digest
from ..store.signin import ENROL_TRIES, AccountFlags, SignInStore
from ..store.staff import LoginToken, StaffAccount, StaffStore

log = logging.getLogger("peerline.signin")
STEP_S = 30
DRIFT_STEPS = 1


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    """The ``otpauth://`` URI an authenticator app reads (from the QR code)."""
    qr_svg: str
    """A data: URI of the QR code as SVG."""


class SignIn:
    def __init__(self, staff: StaffStore, store: SignInStore, *, issuer: str,
                 totp_required: Iterable[str], group_roles: Mapping[str, str]) -> None:
        self.staff = staff
        self.store = store
        self.issuer = issuer
        self.totp_required = frozenset(totp_required)
        self.group_roles = dict(group_roles)

    # -- passwords and second factors --------------------------------------------------------

    async def with_password(self, username: str, password: str, otp: str | None) -> LoginToken:
        account = await self.staff.check_password(username, password)
        if await self.store.disabled(username):
            raise Unauthorized("wrong username or password")  # no hint that the name exists
        if await self.store.totp_secret(username) is not None:
            if not otp:
                raise SecondFactorRequired("enter the code from your authenticator app")
            await self.check_code(username, otp)
        elif account.role in self.totp_required:
            ticket = await self.store.new_enrolment_ticket(username)
            raise EnrolmentRequired("set up a second factor to sign in", ticket)
        return await self.staff.issue(account)

    async def check_code(self, username: str, otp: str) -> None:
        """A TOTP code (once) or a recovery code (once); ``Unauthorized`` otherwise."""
        secret = await self.store.totp_secret(username)
        code = otp.strip().replace(" ", "")
        if secret is None:
            raise Unauthorized("no second factor is set up")
        step = matching_step(secret, code)
        if step is not None:
            if not await self.store.use_step(username, step):
                raise Unauthorized("that code was already used; wait for the next one")
            return
        if len(code) > 6 and await self.store.use_recovery_code(username, code):
            log.info("a recovery code was used (%d left)",
                     await self.store.recovery_left(username))
            return
        raise Unauthorized("wrong code")

    async def begin_enrolment(self, username: str, *, replace: bool = False) -> Enrolment:
        """A new secret to scan. An account that already has a factor keeps it unless
        ``replace`` (an admin's ``reset-2fa`` is the way to change it): a stolen console token
        alone must not be able to swap the factor for the thief's."""
        if not replace and await self.store.totp_secret(username) is not None:
            raise Conflict("a second factor is already set up; an admin can reset it")
        secret = pyotp.random_base32()
        await self.store.start_enrolment(username, secret)
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=self.issuer)
        qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
        return Enrolment(secret, uri, qr)

    async def confirm_enrolment(self, username: str, otp: str, *, attempt: str,
                                ticket: str | None = None) -> list[str]:
        """The first code from the app proves it holds the secret; returns recovery codes.

        ``attempt`` (the enrolment ticket or the console token) counts wrong codes: after
        ``ENROL_TRIES`` the enrolment, and the ticket, are void and the person signs in again
        (where the password's own failure limit applies)."""
        secret = await self.store.pending_secret(username)
        if secret is None:
            raise EnrolmentExpired("the enrolment expired; start again")
        step = matching_step(secret, otp.strip().replace(" ", ""))
        if step is None:
            tried = await self.store.enrolment_failed(digest(attempt))
            if tried >= ENROL_TRIES:
                await self.store.void_enrolment(username, digest(attempt))
                if ticket is not None:
                    await self.store.end_enrolment_ticket(ticket)
                log.info("an enrolment was voided after %d wrong codes", tried)
                raise EnrolmentExpired("too many wrong codes; sign in and start again")
            raise Unauthorized("wrong code; check the time on your phone and try again")
        codes = await self.store.finish_enrolment(username, secret, step)
        await self.store.void_enrolment(username, digest(attempt))
        return codes

    async def flags(self, username: str) -> AccountFlags:
        return await self.store.flags(username)

    async def after_enrolment(self, ticket: str) -> LoginToken:
        """The enrolment ticket's account, now with a factor, gets its token; the ticket ends."""
        username = await self.store.enrolment_user(ticket)
        account = await self.staff.get(username) if username else None
        if account is None:
            raise Unauthorized("the enrolment expired; sign in again")
        await self.store.end_enrolment_ticket(ticket)
        return await self.staff.issue(account)

    # -- campus sign-in ----------------------------------------------------------------------

    async def campus(self, username: str, groups: Iterable[str]) -> LoginToken:
        """A token for the account a campus identity names, or ``NotStaff``."""
        name = username.strip().lower()
        account = await self.staff.get(name)
        if account is None or await self.store.disabled(name):
            log.info("campus sign-in refused: no enabled staff account of that name")
            raise NotStaff("your campus account is not a Peerline staff account")
        if self.group_roles and not self._in_role_group(account, groups):
            log.info("campus sign-in refused: not in a group mapped to the account's role")
            raise NotStaff(f"your campus groups do not allow the {account.role} role")
        return await self.staff.issue(account)

    def _in_role_group(self, account: StaffAccount, groups: Iterable[str]) -> bool:
        return any(self.group_roles.get(g) == account.role for g in groups)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code is ``code`` (now, or one step either side), or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None
