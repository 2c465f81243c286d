"""Guarding staff sign-in: the name's gate, the trusted device, the hashing budget, then the check.

The order matters. The attempt is counted (gate or device) before any hashing, so a refused
guess costs one Redis call and no CPU; only then does it wait for a slot of the process's
hashing budget; only then is Argon2id run. See ``store/signin_gate.py`` for why the gate slows
instead of locking out, and ``service/workbudget.py`` for the budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..core.errors import Busy, SlowDown, Unauthorized
from ..store.signin_gate import SigninGate, name_digest
from ..store.staff import LoginToken
from .metrics import Metrics
from .workbudget import WorkBudget


@dataclass(frozen=True)
class SignedIn:
    token: LoginToken
    device: str
    """The trusted-device cookie to set (new, or the one presented, renewed)."""


class SignInGuard:
    """Wraps every password check (``SignIn.with_password``: password, then a second factor)."""

    def __init__(self, *, gate: SigninGate, budget: WorkBudget, metrics: Metrics) -> None:
        self.gate = gate
        self.budget = budget
        self.metrics = metrics

    async def login(self, username: str, device: str | None,
                    check: Callable[[], Awaitable[LoginToken]]) -> SignedIn:
        """A token when ``check`` (the password, and a second factor) passes; ``Unauthorized``
        (wrong name or password, one answer for both; its subclasses ask for a second factor),
        ``SlowDown`` (this name must wait) or ``Busy`` (no hashing slot).

        An answer that asks for a second factor leaves the attempt counted: the right password
        alone must not let anyone guess codes at full speed.
        """
        name = name_digest(username)
        trusted = await self.gate.device_attempt(device, name)
        if not trusted:
            reservation = await self.gate.reserve(name)
            if not reservation.allowed:
                self.metrics.signin.labels("slowed").inc()
                raise SlowDown("too many sign-in attempts for this name; try again shortly",
                               reservation.wait_s)
        try:
            async with self.budget.slot(priority=trusted):
                token = await check()
        except Unauthorized:
            self.metrics.signin.labels("wrong").inc()
            raise
        except Busy:
            self.metrics.signin.labels("busy").inc()
            raise
        await self.gate.clear(name)
        self.metrics.signin.labels("ok").inc()
        return SignedIn(token, await self.gate.trust_device(device, name))
