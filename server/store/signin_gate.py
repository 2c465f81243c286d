"""Per-name sign-in slowdown and trusted devices: guessing is slowed, the right person is not
locked out.

Why this design (issue 16, defect 6): a fixed lockout (10 failures → 15 minutes) let anyone who
knows a counselor's user name lock them out during a crisis, again and again. Here:

- **Slowdown, not lockout.** Each name has a gate: a few attempts pass freely, then each attempt
  must wait an exponentially growing delay, capped at ``max_delay`` (seconds, not minutes). The
  attempt is reserved atomically in Lua *before* the password is checked, so concurrent guesses
  cannot race past the count.
- **Trusted devices.** A successful sign-in gives the browser an HttpOnly cookie naming a
  device record (OWASP's "device cookie" pattern). A sign-in carrying a device cookie for this
  name skips the name's gate (it has its own small failure budget, after which the record is
  dropped), so an attacker hammering the name cannot keep its owner out of a browser they have
  used before.

Nothing here stores an address, and never a typed string: names are normalised (NFKC, trimmed,
case-folded) and kept only as a digest, so a password typed into the name field never becomes
a key name; a device cookie is kept only as a digest, like every token.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from ..core.ids import digest, new_token
from .keys import Keys
from .scripts import ScriptRunner

_LUA = Path(__file__).with_name("lua")


def name_digest(username: str) -> str:
    """The digest a typed name is counted under: NFKC, trimmed, case-folded, then SHA-256 with a
    domain tag (so it never equals another kind of digest). For counting only; accounts are
    looked up by the name as the account store validates it."""
    normal = unicodedata.normalize("NFKC", username).strip().casefold()
    return digest("signin-name:" + normal)


@dataclass(frozen=True)
class GatePolicy:
    free_attempts: int = 5
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    window_s: float = 15 * 60
    """A name's count is forgotten after this long without attempts."""
    device_ttl_s: int = 30 * 24 * 3600
    device_failures: int = 5
    """Wrong passwords through one device cookie before the device is no longer trusted."""


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    attempt: int
    wait_s: float


class SigninGate:
    def __init__(self, redis: aioredis.Redis, keys: Keys, runner: ScriptRunner,
                 policy: GatePolicy) -> None:
        self.redis = redis
        self.keys = keys
        self.runner = runner
        self.policy = policy
        self._reserve = runner.load(_LUA / "signin_gate.lua")
        self._device = runner.load(_LUA / "device_attempt.lua")

    async def reserve(self, name: str) -> Reservation:
        """Count one attempt for the name digest ``name`` now, or say how long to wait."""
        p = self.policy
        ok, value = await self.runner.run(
            self._reserve, [self.keys.signin_gate(name)],
            [int(time.time() * 1000), p.free_attempts, int(p.first_delay_s * 1000),
             int(p.max_delay_s * 1000), int(p.window_s * 1000)])
        if int(ok) == 1:
            return Reservation(True, int(value), 0.0)
        return Reservation(False, 0, int(value) / 1000)

    async def clear(self, name: str) -> None:
        """The right password was given: the name's count starts again."""
        await self.redis.delete(self.keys.signin_gate(name))

    # -- trusted devices ---------------------------------------------------------------------

    async def device_attempt(self, cookie: str | None, name: str) -> bool:
        """Whether ``cookie`` is a trusted device of the name digest ``name``; counts the attempt
        against the device (reserved before the check, like the gate). A device that used up
        its failures is dropped: its attempts go through the name's gate again."""
        if not cookie or len(cookie) > 128:
            return False
        trusted = await self.runner.run(self._device, [self.keys.device(digest(cookie))],
                                        [name, self.policy.device_failures])
        return int(trusted) == 1

    async def trust_device(self, cookie: str | None, name: str) -> str:
        """After a successful sign-in: the device cookie to give back (the same one, its count
        reset and its life renewed, or a new one)."""
        if cookie and len(cookie) <= 128:
            key = self.keys.device(digest(cookie))
            if await self.redis.hget(key, "name") == name.encode():
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.hset(key, "fails", 0)
                    pipe.expire(key, self.policy.device_ttl_s)
                    await pipe.execute()
                return cookie
        cookie = new_token()
        key = self.keys.device(digest(cookie))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"name": name, "fails": 0})
            pipe.expire(key, self.policy.device_ttl_s)
            await pipe.execute()
        return cookie
