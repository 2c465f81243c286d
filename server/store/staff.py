"""Staff accounts (helpers, counselors) and their login tokens.

Passwords are kept only as Argon2id hashes. A login token is random; Redis keeps its SHA-256
digest with a TTL, and the account keeps the set of its digests so that ``remove`` and ``passwd``
revoke every token at once.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Literal, cast

import msgpack
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..core.aliases import random_alias
from ..core.errors import Conflict, NotFound, PeerlineError, Unauthorized
from ..core.ids import digest, new_token
from .keys import Keys

StaffRole = Literal["helper", "counselor"]
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")
_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
# Checked against when the name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("peerline-dummy-password")


SSO_ONLY = "!sso-only"
"""Stored instead of a password hash: no password verifies against it (Argon2 refuses it as a
hash), so the account signs in only through the campus identity system."""


class InvalidStaff(PeerlineError):
    code = "bad_request"


@dataclass(frozen=True)
class StaffAccount:
    username: str
    role: StaffRole
    alias: str
    tier: int
    created: int

    @property
    def uid(self) -> str:
        return f"{self.role[0]}.{self.username}"


@dataclass(frozen=True)
class LoginToken:
    token: str
    role: StaffRole
    expires_at: int


class StaffStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, token_ttl_s: int = 12 * 3600) -> None:
        self.redis = redis
        self.keys = keys
        self.token_ttl_s = token_ttl_s

    async def add(
        self,
        username: str,
        role: str,
        password: str,
        *,
        tier: int = 1,
        alias: str | None = None,
    ) -> StaffAccount:
        if not USERNAME_RE.match(username):
            raise InvalidStaff("username: 2-32 characters of a-z, 0-9, '_', '.', '-'")
        if role not in ("helper", "counselor"):
            raise InvalidStaff("role must be helper or counselor")
        if password != SSO_ONLY and len(password) < 8:
            raise InvalidStaff("password must have at least 8 characters")
        if not 1 <= tier <= 9:
            raise InvalidStaff("tier must be 1 to 9")
        account = StaffAccount(username, cast(StaffRole, role), alias or random_alias(), tier,
                               int(time.time()))
        created = await self.redis.hsetnx(self.keys.staff(username), "role", role)
        if not created:
            raise Conflict(f"staff account {username!r} exists")
        password_hash = (SSO_ONLY if password == SSO_ONLY
                         else await asyncio.to_thread(_hasher.hash, password))
        await self.redis.hset(
            self.keys.staff(username),
            mapping={
                "hash": password_hash,
                "alias": account.alias,
                "tier": tier,
                "created": account.created,
            },
        )
        await self.redis.sadd(self.keys.staff_index, username)
        return account

    async def get(self, username: str) -> StaffAccount | None:
        raw = await self.redis.hgetall(self.keys.staff(username))
        if not raw or b"hash" not in raw:
            return None
        return StaffAccount(
            username=username,
            role=raw[b"role"].decode(),  # type: ignore[arg-type]
            alias=raw[b"alias"].decode(),
            tier=int(raw.get(b"tier", b"1")),
            created=int(raw.get(b"created", b"0")),
        )

    async def list(self) -> list[StaffAccount]:
        names = sorted(n.decode() for n in await self.redis.smembers(self.keys.staff_index))
        accounts = [await self.get(n) for n in names]
        return [a for a in accounts if a is not None]

    async def remove(self, username: str) -> None:
        if await self.get(username) is None:
            raise NotFound(f"no staff account {username!r}")
        await self.revoke_all(username)
        await self.redis.delete(self.keys.staff(username), *self.keys.staff_extra(username))
        await self.redis.srem(self.keys.staff_index, username)

    async def set_password(self, username: str, password: str) -> None:
        if await self.get(username) is None:
            raise NotFound(f"no staff account {username!r}")
        if len(password) < 8:
            raise InvalidStaff("password must have at least 8 characters")
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        await self.redis.hset(self.keys.staff(username), "hash", password_hash)
        await self.revoke_all(username)

    async def revoke_all(self, username: str) -> None:
        """Revoke every token of the account and close its open consoles, on every process."""
        account = await self.get(username)
        tokens_key = self.keys.staff_tokens(username)
        digests = await self.redis.smembers(tokens_key)
        if digests:
            await self.redis.delete(*(self.keys.token(d.decode()) for d in digests))
        await self.redis.delete(tokens_key)
        if account is not None:
            await self.redis.publish(
                self.keys.bcast, msgpack.packb({"k": "revoke", "uid": account.uid})
            )

    async def login(self, username: str, password: str) -> LoginToken:
        """Check a password and issue a token; one ``Unauthorized`` for wrong name or password."""
        return await self.issue(await self.check_password(username, password))

    async def check_password(self, username: str, password: str) -> StaffAccount:
        """The account if ``password`` is its password; one ``Unauthorized`` for wrong name or
        password (an SSO-only account has no password, so none is right)."""
        stored = await self.redis.hget(self.keys.staff(username), "hash") if USERNAME_RE.match(
            username
        ) else None
        # Argon2id is deliberately slow (~50-300 ms): off the event loop, or every socket of this
        # process would stall while someone logs in.
        try:
            await asyncio.to_thread(_hasher.verify, stored.decode() if stored else _DUMMY_HASH,
                                    password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("wrong username or password") from None
        if stored is None:
            raise Unauthorized("wrong username or password")
        account = await self.get(username)
        if account is None:  # removed between the two reads
            raise Unauthorized("wrong username or password")
        return account

    async def issue(self, account: StaffAccount) -> LoginToken:
        """A new expiring, revocable token for ``account`` (after a password, a second factor
        or a campus sign-in: every way in ends here)."""
        username = account.username
        token = new_token()
        expires_at = int(time.time()) + self.token_ttl_s
        key = self.keys.token(digest(token))
        # The account's list of tokens first, then the token (another Cluster slot): a token
        # is never valid without being listed, so revoking the account's tokens finds it.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.staff_tokens(username), digest(token))
            pipe.expire(self.keys.staff_tokens(username), self.token_ttl_s)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"username": username, "role": account.role, "exp": expires_at})
            pipe.expire(key, self.token_ttl_s)
            await pipe.execute()
        return LoginToken(token=token, role=account.role, expires_at=expires_at * 1000)

    async def authenticate(self, token: str | None, role: str) -> StaffAccount:
        """The account behind a token, or ``Unauthorized`` (missing, wrong, expired, revoked)."""
        if not token:
            raise Unauthorized("a staff hello needs a token")
        raw = await self.redis.hgetall(self.keys.token(digest(token)))
        if not raw or int(raw[b"exp"]) < time.time():
            raise Unauthorized("token is wrong, expired or revoked")
        account = await self.get(raw[b"username"].decode())
        if account is None:
            raise Unauthorized("token is wrong, expired or revoked")
        if account.role != role:
            raise Unauthorized(f"this token is for a {account.role}, not a {role}")
        return account

    async def signed_in(self, token: str | None) -> StaffAccount:
        """The account behind a token whatever its role (HTTP endpoints check roles themselves),
        or ``Unauthorized`` (missing, wrong, expired, revoked)."""
        if not token:
            raise Unauthorized("sign in first")
        raw = await self.redis.hgetall(self.keys.token(digest(token)))
        if not raw or int(raw[b"exp"]) < time.time():
            raise Unauthorized("token is wrong, expired or revoked")
        account = await self.get(raw[b"username"].decode())
        if account is None:
            raise Unauthorized("token is wrong, expired or revoked")
        return account
