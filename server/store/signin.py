"""What signing in keeps besides the account: second factors, SSO round trips, disabled flags.

- TOTP: the account's secret and the last time step used (a code is accepted once: a replayed
  code, even within its 30 s, is refused), and the SHA-256 digests of its recovery codes (each
  used once). A secret being enrolled waits under ``totp:pending`` for 10 minutes.
- Enrolment tickets: a password-checked account that must enrol a second factor gets a ticket
  good for 10 minutes, instead of a token, to reach the enrolment page.
- SSO states: the nonce and PKCE verifier of one campus sign-in, kept 10 minutes, read once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from ..core.ids import digest, new_token
from .keys import Keys
from .staff import SSO_ONLY

ENROL_TTL_S = 10 * 60
ENROL_TRIES = 5
"""Wrong confirming codes one enrolment (ticket or token) may send before it is voided."""
SSO_STATE_TTL_S = 10 * 60
RECOVERY_CODES = 10


@dataclass(frozen=True)
class AccountFlags:
    """How an account signs in, for ``peerline staff list`` and the console."""

    sso_only: bool
    disabled: bool
    second_factor: bool


@dataclass(frozen=True)
class SsoState:
    provider: str
    console: str
    nonce: str
    verifier: str


class SignInStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    # -- disabled accounts -------------------------------------------------------------------

    async def set_disabled(self, username: str, disabled: bool) -> None:
        if disabled:
            await self.redis.hset(self.keys.staff(username), "disabled", 1)
        else:
            await self.redis.hdel(self.keys.staff(username), "disabled")

    async def disabled(self, username: str) -> bool:
        return bool(await self.redis.hexists(self.keys.staff(username), "disabled"))

    async def flags(self, username: str) -> AccountFlags:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.keys.staff(username), "hash", "disabled")
            pipe.hexists(self.keys.totp(username), "secret")
            (password_hash, disabled), has_secret = await pipe.execute()
        return AccountFlags(sso_only=password_hash == SSO_ONLY.encode(),
                            disabled=disabled is not None, second_factor=bool(has_secret))

    # -- TOTP --------------------------------------------------------------------------------

    async def totp_secret(self, username: str) -> str | None:
        raw = await self.redis.hget(self.keys.totp(username), "secret")
        return raw.decode() if raw else None

    async def use_step(self, username: str, step: int) -> bool:
        """Record that the code of time step ``step`` was used; False if it (or a later one)
        already was: each code signs in once."""
        script = ("local last = tonumber(redis.call('HGET', KEYS[1], 'step') or '-1') "
                  "if tonumber(ARGV[1]) <= last then return 0 end "
                  "redis.call('HSET', KEYS[1], 'step', ARGV[1]) return 1")
        return bool(await self.redis.eval(script, 1, self.keys.totp(username), step))

    async def start_enrolment(self, username: str, secret: str) -> None:
        await self.redis.set(self.keys.totp_pending(username), secret, ex=ENROL_TTL_S)

    async def pending_secret(self, username: str) -> str | None:
        raw = await self.redis.get(self.keys.totp_pending(username))
        return raw.decode() if raw else None

    async def enrolment_failed(self, attempt_digest: str) -> int:
        """Count a wrong confirming code of one enrolment; returns the count so far."""
        key = self.keys.enrol_tries(attempt_digest)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ENROL_TTL_S)
            count, _ = await pipe.execute()
        return int(count)

    async def void_enrolment(self, username: str, attempt_digest: str) -> None:
        """Too many wrong codes: the secret being enrolled and its count are dropped."""
        await self.redis.delete(self.keys.totp_pending(username),
                                self.keys.enrol_tries(attempt_digest))

    async def finish_enrolment(self, username: str, secret: str, step: int) -> list[str]:
        """Make ``secret`` the account's, with the confirming code's step used; return fresh
        recovery codes (shown once; only their digests are kept)."""
        codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
        # A transaction per key (each its own Redis Cluster slot): the secret, then the
        # recovery codes, then the pending secret dropped. A crash between leaves the new
        # secret with the old codes (still valid) and the enrolment open to finish again.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.totp(username))
            pipe.hset(self.keys.totp(username), mapping={"secret": secret, "step": step})
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.recovery(username))
            pipe.sadd(self.keys.recovery(username), *(digest(c) for c in codes))
            await pipe.execute()
        await self.redis.delete(self.keys.totp_pending(username))
        return codes

    async def use_recovery_code(self, username: str, code: str) -> bool:
        """True once for each recovery code (it is removed as it is used)."""
        normalised = code.strip().lower()
        return bool(await self.redis.srem(self.keys.recovery(username), digest(normalised)))

    async def recovery_left(self, username: str) -> int:
        return int(await self.redis.scard(self.keys.recovery(username)))

    async def reset_totp(self, username: str) -> bool:
        """Remove the second factor (``peerline staff reset-2fa``); True if there was one."""
        removed = await self.redis.delete(self.keys.totp(username), self.keys.recovery(username),
                                          self.keys.totp_pending(username))
        return bool(removed)

    # -- enrolment tickets -------------------------------------------------------------------

    async def new_enrolment_ticket(self, username: str) -> str:
        ticket = new_token()
        await self.redis.set(self.keys.enrolment(digest(ticket)), username, ex=ENROL_TTL_S)
        return ticket

    async def enrolment_user(self, ticket: str) -> str | None:
        raw = await self.redis.get(self.keys.enrolment(digest(ticket)))
        return raw.decode() if raw else None

    async def end_enrolment_ticket(self, ticket: str) -> None:
        await self.redis.delete(self.keys.enrolment(digest(ticket)))

    # -- SSO round trips ---------------------------------------------------------------------

    async def save_state(self, state: str, value: SsoState) -> None:
        key = self.keys.sso_state(state)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"provider": value.provider, "console": value.console,
                                    "nonce": value.nonce, "verifier": value.verifier})
            pipe.expire(key, SSO_STATE_TTL_S)
            await pipe.execute()

    async def take_state(self, state: str) -> SsoState | None:
        """The state's data, once: a second callback with the same state finds nothing."""
        key = self.keys.sso_state(state)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.delete(key)
            raw, _ = await pipe.execute()
        if not raw:
            return None
        return SsoState(provider=raw[b"provider"].decode(), console=raw[b"console"].decode(),
                        nonce=raw[b"nonce"].decode(), verifier=raw[b"verifier"].decode())
