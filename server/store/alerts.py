"""Alerts in Redis: raised and claimed atomically (Lua), their lists, the watch list, the audit.

An alert is a hash ``a:<aid>`` (it holds an excerpt of the seeker's words, so it expires after
the escalated retention); ``alerts:open`` and ``alerts:claimed`` index the alerts in each state;
``alerts:all`` is the index ``peerline alerts list`` reads. The audit stream records each step
(no message text).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

from ..core.errors import NotFound
from ..core.policy import EXCERPT_CHARS, REASON_CHARS
from .keys import AUDIT_MAXLEN, WATCH_WINDOW_S, Keys
from .records import Alert, Claim, decode_map
from .scripts import ScriptRunner

_LUA = Path(__file__).with_name("lua")


def now_ms() -> int:
    return int(time.time() * 1000)


class AlertStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, runner: ScriptRunner,
                 retention_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.runner = runner
        self.retention_ms = retention_s * 1000
        self._raise = runner.load(_LUA / "raise_alert.lua")
        self._claim = runner.load(_LUA / "claim_alert.lua")

    # -- raising and claiming ----------------------------------------------------------------

    async def raise_for(self, aid: str, sid: str, severity: int, text: str, reason: str,
                        categories: list[str], by: str, message_id: str = "") -> tuple[str, bool]:
        """Raise the session's one alert as ``aid``; returns (the alert id, raised now). When
        the session already has an open or claimed alert, that one is returned instead."""
        keys = self.keys
        result = await self.runner.run(
            self._raise,
            [keys.session(sid), keys.alert(aid), keys.alerts_open, keys.alerts_all, keys.audit],
            [aid, severity, text[:EXCERPT_CHARS], reason[:REASON_CHARS], ",".join(categories),
             now_ms(), by, keys.alert_prefix, sid, message_id, self.retention_ms],
        )
        status = int(result[0])
        if status == -1:
            raise NotFound("no such session")
        if status == 0:
            return result[1].decode(), False
        return aid, True

    async def claim(self, aid: str, uid: str, alias: str, level: str = "") -> Claim:
        """Exactly one claim of an open alert wins, across all processes."""
        keys = self.keys
        now = now_ms()
        result = await self.runner.run(
            self._claim, [keys.alert(aid), keys.alerts_open, keys.audit],
            [uid, alias, now, keys.session_prefix, keys.session_suffix, aid, level],
        )
        if result[0] == b"missing":
            raise NotFound("no such alert")
        if result[0] == b"taken":
            return Claim(False)
        await self.redis.zadd(keys.alerts_claimed, {aid: now})
        return Claim(True, result[1].decode())

    async def resolve(self, aid: str, outcome: str, by: str, note: str = "") -> None:
        """Close the alert; the counselor's note is kept with it (as long as the alert)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.alert(aid), mapping={"state": "resolved", "outcome": outcome,
                                                     "resolved_at": now_ms(), "resolved_by": by,
                                                     "note": note})
            pipe.zrem(self.keys.alerts_claimed, aid)
            pipe.zrem(self.keys.alerts_open, aid)
            pipe.zrem(self.keys.alerts_up, aid)
            await pipe.execute()

    async def reopen(self, aid: str) -> None:
        """Its counselor is gone: the alert is open again, to be delivered from the start."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.alert(aid), mapping={"state": "open", "claimed_by": "",
                                                     "tier": 0, "level": ""})
            # Delivered from the start again: a pass-up before it is over.
            pipe.hdel(self.keys.alert(aid), "passed_up", "up_claimed_by", "pass_reason")
            pipe.zrem(self.keys.alerts_claimed, aid)
            pipe.zrem(self.keys.alerts_up, aid)
            pipe.zadd(self.keys.alerts_open, {aid: now_ms()})
            await pipe.execute()

    async def set_tier(self, aid: str, tier: int) -> None:
        await self.redis.hset(self.keys.alert(aid), "tier", tier)

    async def set_route(self, aid: str, stage: str, tier: int, department: str) -> None:
        """How far the alert has gone (``policy.next_route``) and for which department."""
        await self.redis.hset(self.keys.alert(aid), mapping={"level": stage, "tier": tier,
                                                             "department": department})

    # -- passing up to the centre (issue 19) --------------------------------------------------

    async def pass_up(self, aid: str, by: str, reason: str) -> None:
        """A department counselor passed their claimed alert up: the centre is to take it up
        (``alerts:up`` lists it until then, for centre counselors who go on call)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.alert(aid), mapping={"passed_up": 1, "passed_by": by,
                                                     "pass_reason": reason[:REASON_CHARS],
                                                     "passed_at": now_ms()})
            pipe.zadd(self.keys.alerts_up, {aid: now_ms()})
            await pipe.execute()

    async def take_up(self, aid: str, uid: str, alias: str) -> bool:
        """A centre counselor takes up a passed-up alert: exactly one wins (``HSETNX``), and
        becomes the alert's claimer."""
        if not await self.redis.hsetnx(self.keys.alert(aid), "up_claimed_by", uid):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.alert(aid), mapping={"claimed_by": uid, "claimed_alias": alias,
                                                     "taken_up_at": now_ms()})
            pipe.zrem(self.keys.alerts_up, aid)
            await pipe.execute()
        return True

    async def passed_up_ids(self) -> list[str]:
        """Alerts passed up that no centre counselor has taken up yet."""
        return [a.decode() for a in await self.redis.zrange(self.keys.alerts_up, 0, -1)]

    # -- reading -----------------------------------------------------------------------------

    async def get(self, aid: str) -> Alert | None:
        return Alert.from_hash(aid, await self.redis.hgetall(self.keys.alert(aid)))

    async def open_ids(self) -> list[str]:
        return [a.decode() for a in await self.redis.zrange(self.keys.alerts_open, 0, -1)]

    async def claimed_ids(self) -> list[str]:
        return [a.decode() for a in await self.redis.zrange(self.keys.alerts_claimed, 0, -1)]

    async def recent_ids(self, limit: int) -> list[str]:
        return [a.decode() for a in await self.redis.zrevrange(self.keys.alerts_all, 0,
                                                               limit - 1)]

    async def raw(self, aid: str) -> dict[str, str]:
        """Every field of an alert as stored (for the operator's audit view)."""
        return decode_map(await self.redis.hgetall(self.keys.alert(aid)))

    # -- the watch list ----------------------------------------------------------------------

    async def watch(self, sid: str, severity: int, frame: dict[str, Any]) -> None:
        """List the session (for ``WATCH_WINDOW_S``) with the frame counselors are sent."""
        now = now_ms()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.session(sid), mapping={"watch_sev": severity,
                                                       "watch": json.dumps(frame)})
            pipe.zadd(self.keys.watchlist, {sid: now})
            pipe.zremrangebyscore(self.keys.watchlist, "-inf", now - WATCH_WINDOW_S * 1000)
            # The whole list goes when its newest member would be trimmed: nothing outlives
            # the window even if no session is watched again.
            pipe.expire(self.keys.watchlist, WATCH_WINDOW_S)
            await pipe.execute()

    async def watched(self) -> list[dict[str, Any]]:
        """The watch-list frames of sessions listed in the window and not ended."""
        cutoff = now_ms() - WATCH_WINDOW_S * 1000
        frames: list[dict[str, Any]] = []
        for sid in await self.redis.zrangebyscore(self.keys.watchlist, cutoff, "+inf"):
            raw = await self.redis.hmget(self.keys.session(sid.decode()), "watch", "state")
            if raw[0] and raw[1] != b"ended":
                frames.append(json.loads(raw[0]))
        return frames

    # -- the audit ---------------------------------------------------------------------------

    async def audit(self, event: str, aid: str, **fields: Any) -> None:
        entry: dict[str, str | int] = {"event": event, "alert": aid, "ts": now_ms()}
        entry.update({k: v for k, v in fields.items() if v is not None})
        await self.redis.xadd(self.keys.audit, cast(Any, entry), maxlen=AUDIT_MAXLEN,
                              approximate=True)

    async def audit_of(self, aid: str) -> list[dict[str, str]]:
        """The audit entries of one alert, oldest first."""
        entries = []
        for _, entry in await self.redis.xrange(self.keys.audit, "-", "+"):
            e = decode_map(cast(dict[Any, Any], entry))
            if e.get("alert") == aid:
                entries.append(e)
        return entries
