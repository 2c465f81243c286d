"""Alerts in Redis: raised and claimed atomically (Lua), their lists, the watch list, the audit.

An alert is a hash ``a:<aid>`` (it holds an excerpt of the seeker's words, so it expires after
the escalated retention); ``alerts:open`` and ``alerts:claimed`` index the alerts in each state;
``alerts:all`` is the index ``peerline alerts list`` reads. The audit stream records each step
(no message text).

Redis Cluster: the alert, the session, the indices (one hash tag, ``{alerts}``) and the audit
live in different slots, so raising and claiming are steps on one slot each, ordered so that a
crash between two leaves a state the next call repairs or that only expires (each method says
which).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

from ..core.errors import Conflict, NotFound
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
        self._hset_live = runner.load(_LUA / "hset_live.lua")

    # -- raising and claiming ----------------------------------------------------------------

    async def raise_for(self, aid: str, sid: str, severity: int, text: str, reason: str,
                        categories: list[str], by: str, message_id: str = "") -> tuple[str, bool]:
        """Raise the session's one alert as ``aid``; returns (the alert id, raised now). When
        the session already has an open or claimed alert, that one is returned instead.

        Steps, one slot each: (1) the alert's hash, (2) the session takes it (``raise_alert.lua``
        decides, so two raises at once give one alert), (3) the indices, (4) the audit. A crash
        after (1) leaves an alert nobody points at, which expires; after (2), an open alert
        missing from the indices, which the session's next raise puts back (it finds its
        alert open and repairs the indices before returning it).
        """
        keys = self.keys
        now = now_ms()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.alert(aid), mapping={
                "session": sid, "severity": severity, "excerpt": text[:EXCERPT_CHARS],
                "reason": reason[:REASON_CHARS], "categories": ",".join(categories),
                "raised_at": now, "raised_by": by, "state": "open", "tier": 0,
                "message": message_id})
            # It holds the seeker's words (an excerpt): kept the escalated retention.
            pipe.pexpire(keys.alert(aid), self.retention_ms)
            await pipe.execute()
        closed = ""
        for _ in range(3):
            result = await self.runner.run(self._raise, [keys.session(sid)], [aid, closed])
            status = int(result[0])
            if status == 1:
                break
            if status == -1:
                await self.redis.delete(keys.alert(aid))
                raise NotFound("no such session")
            current = result[1].decode()
            state, raised_at = await self.redis.hmget(keys.alert(current), "state", "raised_at")
            if state in (b"open", b"claimed"):
                await self.redis.delete(keys.alert(aid))
                if state == b"open":
                    await self._index_open(current, int(raised_at or now))
                return current, False
            closed = current  # resolved, or expired: this session may have a new one
        else:
            await self.redis.delete(keys.alert(aid))
            raise Conflict("the session's alert changed while raising; try again")
        await self._index_open(aid, now)
        await self.redis.xadd(keys.audit, {"event": "raised", "alert": aid, "session": sid,
                                           "severity": severity, "by": by, "ts": now},
                              maxlen=AUDIT_MAXLEN, approximate=True)
        return aid, True

    async def _index_open(self, aid: str, raised_at: int) -> None:
        """List an open alert (its raise time as score; safe to repeat): ``alerts:all`` keeps
        the escalated retention's worth and expires with its newest alert (issue 16, defect
        8)."""
        keys = self.keys
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(keys.alerts_open, {aid: raised_at}, nx=True)
            pipe.zadd(keys.alerts_all, {aid: raised_at}, nx=True)
            pipe.zremrangebyscore(keys.alerts_all, "-inf", now_ms() - self.retention_ms)
            pipe.pexpire(keys.alerts_all, self.retention_ms)
            await pipe.execute()

    async def claim(self, aid: str, uid: str, alias: str) -> Claim:
        """Exactly one claim of an open alert wins, across all processes (``claim_alert.lua``
        on the alert's slot decides). Then, a step each: the indices, the session's counselor,
        the audit. A crash after the decision leaves a claimed alert still listed open; its
        counselor's connection went with the process, and their grace period reopens it."""
        keys = self.keys
        now = now_ms()
        result = await self.runner.run(self._claim, [keys.alert(aid)], [uid, alias, now])
        if result[0] == b"missing":
            raise NotFound("no such alert")
        if result[0] == b"taken":
            return Claim(False)
        sid, raised = result[1].decode(), int(result[2])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.alerts_open, aid)
            pipe.zadd(keys.alerts_claimed, {aid: now})
            await pipe.execute()
        await self.runner.run(self._hset_live, [keys.session(sid)],
                              ["counselor", uid, "counselor_alias", alias])
        await self.redis.xadd(keys.audit, {
            "event": "claimed", "alert": aid, "session": sid, "by": uid,
            "seconds_to_claim": f"{(now - raised) / 1000:.3f}", "ts": now},
            maxlen=AUDIT_MAXLEN, approximate=True)
        return Claim(True, sid)

    async def resolve(self, aid: str, outcome: str, by: str, note: str = "") -> None:
        """Close the alert; the counselor's note is kept with it (as long as the alert)."""
        # The alert first, then the indices (another slot): a crash between leaves a resolved
        # alert still listed, which resolving again (or the index's readers) clears.
        await self.redis.hset(self.keys.alert(aid), mapping={
            "state": "resolved", "outcome": outcome, "resolved_at": now_ms(),
            "resolved_by": by, "note": note})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.alerts_claimed, aid)
            pipe.zrem(self.keys.alerts_open, aid)
            await pipe.execute()

    async def reopen(self, aid: str) -> None:
        """Its counselor is gone: the alert is open again, to be delivered from the start."""
        # The alert, then the indices (another slot; repeating is harmless).
        await self.redis.hset(self.keys.alert(aid), mapping={"state": "open", "claimed_by": "",
                                                             "tier": 0})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.alerts_claimed, aid)
            pipe.zadd(self.keys.alerts_open, {aid: now_ms()})
            await pipe.execute()

    async def set_tier(self, aid: str, tier: int) -> None:
        await self.redis.hset(self.keys.alert(aid), "tier", tier)

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
        # The session's frame first, then the list (another slot): a crash between leaves a
        # frame nobody lists, which goes with the session.
        await self.redis.hset(self.keys.session(sid), mapping={"watch_sev": severity,
                                                               "watch": json.dumps(frame)})
        async with self.redis.pipeline(transaction=True) as pipe:
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
