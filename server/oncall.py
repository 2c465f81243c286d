"""Counselors on call: going on and off call, what they get when they do, and their drops.

On-call state lives in Redis (``<prefix>:oncall``: uid → tier, for the counselors connected and on
call; ``<prefix>:oncall:pref``: who chose to be on call, so that a console that reconnects is on
call again). Each process also keeps its own on-call connections in the hub, to deliver alerts.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from . import protocol as p

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services


class OnCall:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.pref = f"{svc.keys.p}:oncall:pref"

    async def status(self, conn: Connection, frame: p.Status) -> None:
        if frame.on_call is not None:
            await self._set_on_call(conn, frame.on_call)
        conn.send(p.with_ref(await self.presence(conn), frame.ref))
        if frame.on_call:
            await self._send_pending(conn)

    async def _set_on_call(self, conn: Connection, on_call: bool) -> None:
        svc = self.svc
        if on_call:
            svc.hub.oncall.add(conn)
            await svc.redis.hset(svc.keys.oncall, conn.uid or "", conn.tier)
            await svc.redis.sadd(self.pref, conn.uid or "")
            await svc.escalation.audit("on_call", "", by=conn.uid or "")
        else:
            svc.hub.oncall.discard(conn)
            await svc.redis.hdel(svc.keys.oncall, conn.uid or "")
            await svc.redis.srem(self.pref, conn.uid or "")
            await svc.escalation.audit("off_call", "", by=conn.uid or "")

    async def presence(self, conn: Connection) -> dict[str, Any]:
        return {"type": "presence", "on_call": conn in self.svc.hub.oncall, "capacity": None,
                "active": sum(1 for r in conn.sessions.values() if r == "counselor"),
                "tier": conn.tier}

    async def _send_pending(self, conn: Connection) -> None:
        """A counselor went on call: every unclaimed alert, then the watch list."""
        svc = self.svc
        for aid in await svc.redis.zrange(svc.keys.alerts_open, 0, -1):
            frame = await svc.escalation.alert_frame(aid.decode())
            if frame is not None:
                conn.send(frame)
                await svc.escalation.audit("delivered", aid.decode(), tier=conn.tier,
                                           to=conn.uid or "")
        cutoff = _now_ms() - 24 * 3600 * 1000
        for sid in await svc.redis.zrangebyscore(svc.keys.watchlist, cutoff, "+inf"):
            raw = await svc.redis.hmget(svc.keys.session(sid.decode()), "watch", "state")
            if raw[0] and raw[1] != b"ended":
                conn.send(json.loads(raw[0]))

    async def restore_on_call(self, conn: Connection) -> None:
        """A counselor who was on call when their console dropped is on call again."""
        if await self.svc.redis.sismember(self.pref, conn.uid or ""):
            await self._set_on_call(conn, True)

    async def counselor_online(self, conn: Connection) -> None:
        """After the welcome: an on-call counselor gets every unclaimed alert and the watch list."""
        if conn in self.svc.hub.oncall:
            await self._send_pending(conn)

    async def counselor_offline(self, uid: str, sessions: dict[str, str]) -> None:
        svc = self.svc
        await svc.redis.hdel(svc.keys.oncall, uid)
        if any(role == "counselor" for role in sessions.values()):
            await svc.lifecycle.deadlines.set("counselor_gone", uid,
                                              svc.settings.counselor_grace_s)

    async def counselor_gone(self, uid: str) -> None:
        """A counselor with claimed alerts did not come back: raise those alerts again."""
        svc = self.svc
        if await svc.sessions.location(uid):
            return
        for aid_raw in await svc.redis.zrange(svc.escalation.claimed_alerts, 0, -1):
            aid = aid_raw.decode()
            raw = await svc.redis.hmget(svc.keys.alert(aid), "state", "claimed_by", "session")
            if raw[0] != b"claimed" or raw[1] != uid.encode():
                continue
            sid = raw[2].decode()
            session = await svc.sessions.get(sid) or {}
            if session.get("counselor") == uid:
                await svc.redis.hset(svc.keys.session(sid), mapping={"counselor": "",
                                                                      "counselor_alias": ""})
                await svc.hub.to_session(
                    sid, {"type": "participant", "session": sid, "role": "counselor",
                          "alias": session.get("counselor_alias", ""), "joined": False})
            await svc.sessions.forget_for(uid, sid)
            async with svc.redis.pipeline(transaction=True) as pipe:
                pipe.hset(svc.keys.alert(aid), mapping={"state": "open", "claimed_by": "",
                                                         "tier": 0})
                pipe.zrem(svc.escalation.claimed_alerts, aid)
                pipe.zadd(svc.keys.alerts_open, {aid: _now_ms()})
                await pipe.execute()
            await svc.escalation.audit("released", aid, session=sid, by=uid,
                                       note="counselor gone")
            if session.get("state") != "ended":
                await svc.escalation.redeliver(aid)


def _now_ms() -> int:
    return int(time.time() * 1000)
