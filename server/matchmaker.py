"""Seekers asking for help, helpers saying they are available, and turning pairs into sessions.

Pairing itself is ``matching/lua/match.lua`` (atomic in Redis). This module runs it when
something changed (a request, a helper's status, a freed place) and on a slow tick, tells both
sides, and keeps waiting seekers' positions and estimates current.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from matching import Pair, Priority, estimate_wait_s

from . import protocol as p
from .errors import Conflict, SessionEnded

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services

log = logging.getLogger("peerline.match")

DEFAULT_CAPACITY = 2
DEFAULT_LANGS = ["zh", "en"]
TICK_S = 1.0


class Matchmaker:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.waiting: dict[str, tuple[Connection, tuple[Any, ...]]] = {}
        self._running = False
        self._again = False

    # -- seekers -----------------------------------------------------------------------------

    async def request(self, conn: Connection, frame: p.Request) -> None:
        svc = self.svc
        for sid, role in conn.sessions.items():
            if role == "seeker":
                raise Conflict(f"you already have an open session ({sid})")
        lang = frame.lang or conn.lang
        conn.lang = lang  # the language moderation reads this seeker's messages in
        note = (frame.note or "").strip()[: svc.settings.max_note_chars]
        verdict = svc.escalation.screen(note, lang, None) if note else None
        masked = verdict.masked if verdict else ""
        sid = await svc.sessions.create(conn.uid or "", conn.alias, frame.topic, lang, masked)
        severity = verdict.severity if verdict else 0
        priority = (Priority.CRISIS if severity >= 3 else
                    Priority.RAISED if severity == 2 else Priority.NORMAL)
        if verdict is not None:
            conn.risk[sid] = verdict.context
            await svc.sessions.set_fields(sid, note_sev=severity, max_sev=severity,
                                          note_cats=",".join(verdict.categories))
        # Tell the seeker their place before they become visible to pairing, so that `queued`
        # always reaches them before `matched`, even when another process pairs them at once.
        now = int(time.time() * 1000)
        position = await svc.queue.position_if_queued(priority, now)
        estimate, helpers_online = await svc.queue.estimate(position)
        queued = {"type": "queued", "session": sid, "position": position,
                  "estimated_wait_s": estimate, "helpers_online": helpers_online}
        svc.hub.join(conn, sid, "seeker")
        conn.send(p.with_ref(dict(queued), frame.ref))
        self.waiting[sid] = (conn, _key(queued))
        await svc.queue.enqueue(sid, lang, frame.topic, priority, at_ms=now)
        if verdict is not None and severity >= 2:
            await svc.escalation.first_words(sid, verdict)
        await self.kick()
        await svc.hub.broadcast({"k": "queue"})

    async def queued_frame(self, sid: str) -> dict[str, Any]:
        (position,) = await self.svc.queue.positions([sid])
        if position is None:
            raise SessionEnded("this session is no longer waiting")
        estimate, helpers_online = await self.svc.queue.estimate(position)
        return {"type": "queued", "session": sid, "position": position,
                "estimated_wait_s": estimate, "helpers_online": helpers_online}

    def watch_position(self, sid: str, conn: Connection) -> None:
        self.waiting[sid] = (conn, ())

    async def refresh_positions(self) -> None:
        """Send ``queued`` to each waiting seeker here whose position or outlook changed."""
        if not self.waiting:
            return
        sids = list(self.waiting)
        positions = await self.svc.queue.positions(sids)
        helpers_online, free, recent = await self.svc.queue.cached_outlook()
        now = int(time.time() * 1000)
        for sid, position in zip(sids, positions, strict=True):
            conn, last = self.waiting.get(sid, (None, ()))
            if conn is None:
                continue
            if position is None or sid not in conn.sessions or conn.outbox.closed:
                self.waiting.pop(sid, None)
                continue
            frame = {"type": "queued", "session": sid, "position": position,
                     "estimated_wait_s": estimate_wait_s(position, helpers_online, free, recent,
                                                         now),
                     "helpers_online": helpers_online}
            key = _key(frame)
            if key != last:
                self.waiting[sid] = (conn, key)
                conn.send(frame)

    # -- helpers -----------------------------------------------------------------------------

    async def status(self, conn: Connection, frame: p.Status) -> None:
        if conn.role == "counselor":
            await self.svc.oncall.status(conn, frame)
            return
        queue = self.svc.queue
        uid = conn.uid or ""
        current = await queue.helper(uid)
        available = current.available if frame.available is None else frame.available
        capacity = next(c for c in (frame.capacity, current.capacity, DEFAULT_CAPACITY)
                        if c is not None)
        topics = frame.topics if frame.topics is not None else current.topics
        langs = frame.langs if frame.langs is not None else (current.langs or DEFAULT_LANGS)
        await queue.set_helper(uid, available=available, capacity=capacity, topics=list(topics),
                               langs=list(langs))
        await self.svc.redis.hset(queue.keys.helper(uid), "alias", conn.alias)
        if frame.skip_cooldown:
            await queue.set_cooldown(uid, 0)
        conn.send(p.with_ref(await self.presence(conn), frame.ref))
        await self.kick()
        await self.svc.hub.broadcast({"k": "queue"})

    async def presence(self, conn: Connection) -> dict[str, Any]:
        if conn.role == "counselor":
            return await self.svc.oncall.presence(conn)
        state = await self.svc.queue.helper(conn.uid or "")
        frame: dict[str, Any] = {"type": "presence", "available": state.available,
                                 "capacity": DEFAULT_CAPACITY if state.capacity is None
                                 else state.capacity,
                                 "active": state.active, "topics": state.topics,
                                 "langs": state.langs or DEFAULT_LANGS}
        if state.cooldown_until > time.time() * 1000:
            frame["cooldown_until"] = state.cooldown_until
        return frame

    async def helper_online(self, conn: Connection) -> None:
        await self.svc.queue.set_online(conn.uid or "", True)
        await self.svc.redis.hset(self.svc.queue.keys.helper(conn.uid or ""), "alias", conn.alias)
        await self.kick()

    # -- pairing -----------------------------------------------------------------------------

    async def kick(self) -> None:
        """Run pairing now; if it is already running here, run it once more when it ends."""
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            while True:
                self._again = False
                pairs = await self.svc.queue.match()
                if pairs:
                    await self._announce(pairs)
                    await self.svc.hub.broadcast({"k": "queue"})
                if not self._again:
                    break
        finally:
            self._running = False

    async def _announce(self, pairs: list[Pair]) -> None:
        svc = self.svc
        async with svc.redis.pipeline(transaction=False) as pipe:
            for pair in pairs:
                pipe.hgetall(svc.keys.session(pair.session))
                pipe.hget(svc.queue.keys.helper(pair.helper), "alias")
            raw = await pipe.execute()
        for i, pair in enumerate(pairs):
            session = {k.decode(): v.decode() for k, v in raw[2 * i].items()}
            helper_alias = (raw[2 * i + 1] or b"").decode() or "Helper"
            if not session or session.get("state") == "ended":
                await svc.sessions.end(pair.session, "server", "seeker_gone")
                continue
            await svc.sessions.activate(pair.session, pair.helper, helper_alias)
            svc.metrics.matches.inc()
            svc.metrics.match_wait.observe(pair.wait_ms / 1000)
            sid = pair.session
            seeker_frame = {"type": "matched", "session": sid,
                            "peers": [{"role": "helper", "alias": helper_alias}]}
            helper_frame: dict[str, Any] = {
                "type": "matched", "session": sid,
                "peers": [{"role": "seeker", "alias": session.get("seeker_alias", "")}],
                "topic": session.get("topic"), "lang": session.get("lang") or None,
                "note": session.get("note") or None,
            }
            if int(session.get("note_sev") or 0):
                helper_frame["severity"] = int(session["note_sev"])
                helper_frame["categories"] = [c for c in session.get("note_cats", "").split(",")
                                              if c]
            if session.get("alert"):
                helper_frame["alert"] = session["alert"]
            frames = [helper_frame]
            if int(session.get("seq") or 0):
                frames += await svc.sessions.messages(sid)
            await svc.hub.to_user(session["seeker"], [seeker_frame], attach=(sid, "seeker"))
            await svc.hub.to_user(pair.helper, frames, attach=(sid, "helper"))
            await svc.escalation.matched(sid, session, pair.helper)

    async def run(self) -> None:
        """Background duty: a slow pairing tick (cooldowns end, missed triggers) and positions."""
        last_tick = 0.0
        while not self.svc.stopping.is_set():
            try:
                await asyncio.sleep(self.svc.settings.queue_refresh_s)
                now = time.monotonic()
                if now - last_tick >= TICK_S:
                    last_tick = now
                    await self.kick()
                    self.svc.hub.queue_changed.set()
                if self.svc.hub.queue_changed.is_set():
                    self.svc.hub.queue_changed.clear()
                    await self.refresh_positions()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("matching tick failed")


def _key(frame: dict[str, Any]) -> tuple[Any, ...]:
    return (frame["position"], frame["estimated_wait_s"], frame["helpers_online"])
