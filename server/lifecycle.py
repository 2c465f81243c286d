"""How sessions and connections end: ``leave``, drops, grace periods, and the sweeper.

- A seeker who drops keeps their session for a grace period; if they are not back, it ends
  (``seeker_gone``) and the helper is told.
- A helper who drops is not offered new seekers; if not back within the grace period, each of
  their seekers is told and put back at the front of the queue.
- A counselor who drops keeps their claim for a grace period, then the alert is raised again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from . import protocol as p
from .deadlines import Deadlines
from .errors import NotInSession, SessionEnded

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services

log = logging.getLogger("peerline.lifecycle")


class Lifecycle:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.deadlines = Deadlines(svc.redis, svc.keys.deadlines)

    # -- frames ------------------------------------------------------------------------------

    async def leave(self, conn: Connection, frame: p.Leave) -> None:
        sid = frame.session
        role = conn.sessions.get(sid)
        if role is None:
            raise await self.refusal(conn, sid)
        if role == "counselor":
            await self.svc.escalation.counselor_leaves(conn, sid, frame.ref)
            return
        session = await self.svc.sessions.get(sid)
        reason = "cancelled" if session and session.get("state") == "queued" else "left"
        if not await self.end_session(sid, by=role, reason=reason, leaver=conn, ref=frame.ref):
            raise SessionEnded("this session has ended")

    async def refusal(self, conn: Connection, sid: str) -> NotInSession | SessionEnded:
        """The error for a frame naming a session this connection is not (or no longer) in."""
        session = await self.svc.sessions.get(sid)
        if session is not None and session.get("state") == "ended" and conn.uid in (
            session.get("seeker"), session.get("helper"), session.get("counselor"),
            session.get("former_helper"),
        ):
            return SessionEnded("this session has ended")
        if session is not None and conn.uid and session.get("former_helper") == conn.uid:
            return SessionEnded("a counselor took this session over")
        return NotInSession("you are not in this session")

    async def feedback(self, conn: Connection, frame: p.Feedback) -> None:
        session = await self.svc.sessions.get(frame.session)
        if session is None or session.get("seeker") != conn.uid:
            raise NotInSession("you are not in this session")
        if session.get("state") != "ended":
            raise NotInSession("feedback is for a session that has ended")
        if session.get("feedback"):
            conn.send(p.with_ref({"type": "ack", "session": frame.session}, frame.ref))
            return
        # Stored apart from the session, with no session id: statistics, not a record of who.
        day = time.strftime("%Y-%m-%d", time.gmtime())
        record = f"{day}|{frame.rating or ''}|{frame.feeling or ''}|{session.get('topic', '')}"
        async with self.svc.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.svc.keys.feedback, record)
            pipe.hset(self.svc.keys.session(frame.session), "feedback", 1)
            await pipe.execute()
        conn.send(p.with_ref({"type": "ack", "session": frame.session}, frame.ref))

    # -- ending ------------------------------------------------------------------------------

    async def end_session(
        self, sid: str, by: str, reason: str, leaver: Connection | None = None,
        ref: str | None = None,
    ) -> bool:
        """End a session once, tell everyone, free the helper's place. False if it had ended."""
        svc = self.svc
        ended = await svc.sessions.end(sid, by, reason)
        if ended is None:
            return False
        svc.metrics.sessions_ended.labels(reason).inc()
        frame = {"type": "ended", "session": sid, "by": by, "reason": reason}
        if leaver is not None:  # the leaver's copy answers their `leave`, so it carries its ref
            leaver.send(p.with_ref(dict(frame), ref))
            svc.hub.part(leaver, sid)
        await svc.hub.to_session(sid, frame, exclude=leaver.uid if leaver else None)
        for uid in (ended.helper, ended.counselor):
            if uid:
                await svc.sessions.forget_for(uid, sid)
        # The seeker's copy stays listed until their next welcome: a connection that looks
        # open may be half-dead (a phone losing signal), and `ended` may never reach them.
        await svc.escalation.session_ended(sid, ended)
        svc.matchmaker.waiting.pop(sid, None)
        await svc.matchmaker.kick()
        await svc.hub.broadcast({"k": "queue"})
        return True

    # -- connections -------------------------------------------------------------------------

    async def reconnected(self, conn: Connection) -> None:
        uid = conn.uid or ""
        if conn.role == "seeker":
            for sid in await self.svc.sessions.sessions_of(uid):
                await self.deadlines.cancel("seeker_gone", sid)
        elif conn.role == "helper":
            await self.deadlines.cancel("helper_gone", uid)
        else:
            await self.deadlines.cancel("counselor_gone", uid)

    async def disconnected(self, conn: Connection) -> None:
        """The socket closed. Called once per connection, whatever the reason."""
        svc = self.svc
        if conn.uid is None:
            return
        svc.metrics.connections.labels(conn.role).dec()
        sessions = dict(conn.sessions)
        if not svc.hub.remove_user(conn):
            return  # replaced by a newer connection of the same person: nothing is lost
        await svc.nodes.forget(conn.uid)
        await svc.sessions.clear_location(conn.uid)
        await self.gone(conn.uid, conn.role or "", sessions)

    async def gone(self, uid: str, role: str, sessions: dict[str, str]) -> None:
        """Someone's connection is gone (closed here, or its process died): start their grace."""
        svc = self.svc
        try:
            settings = svc.settings
            if role == "seeker":
                for sid in sessions:
                    session = await svc.sessions.get(sid)
                    if session is None or session["state"] == "ended":
                        continue
                    grace = (settings.queued_seeker_grace_s if session["state"] == "queued"
                             else settings.seeker_grace_s)
                    await self.deadlines.set("seeker_gone", sid, grace)
            elif role == "helper":
                await svc.queue.set_online(uid, False)
                if await svc.queue.helper_sessions(uid):
                    await self.deadlines.set("helper_gone", uid, settings.helper_grace_s)
            else:
                await svc.oncall.counselor_offline(uid, sessions)
        except Exception:
            log.exception("cleanup after a disconnect failed")

    # -- the sweeper -------------------------------------------------------------------------

    async def run(self) -> None:
        # Loop on the stop flag, not only on cancellation: a CancelledError swallowed deep in a
        # Redis call would otherwise leave this loop running through shutdown.
        while not self.svc.stopping.is_set():
            try:
                await asyncio.sleep(self.svc.settings.sweep_interval_s)
                for kind, arg in await self.deadlines.due():
                    await self._fire(kind, arg)
                await self.svc.nodes.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("deadline sweep failed")

    async def _fire(self, kind: str, arg: str) -> None:
        svc = self.svc
        if kind == "seeker_gone":
            session = await svc.sessions.get(arg)
            if session is None or session["state"] == "ended":
                return
            if await svc.sessions.location(session["seeker"]):
                return  # back in time
            await self.end_session(arg, by="server", reason="seeker_gone")
        elif kind == "helper_gone":
            if await svc.sessions.location(arg):
                return
            await self._helper_gone(arg)
        else:
            await svc.escalation.fire(kind, arg)

    async def _helper_gone(self, helper: str) -> None:
        """The helper did not come back: their seekers go back to the front of the queue."""
        svc = self.svc
        for sid in await svc.queue.helper_sessions(helper):
            session = await svc.sessions.get(sid)
            if session is None or session["state"] != "active":
                continue
            if not await svc.queue.requeue_front(sid, helper, session.get("lang") or None,
                                                 session.get("topic", "other"),
                                                 int(session.get("created") or 0)):
                continue
            await svc.sessions.requeued(sid)
            await svc.sessions.forget_for(helper, sid)
            await svc.hub.to_session(
                sid,
                {"type": "participant", "session": sid, "role": "helper",
                 "alias": session.get("helper_alias", ""), "joined": False,
                 "reason": "helper_gone"},
                roles=("seeker", "counselor"),
            )
            seeker = session["seeker"]
            try:
                queued = await svc.matchmaker.queued_frame(sid)
            except SessionEnded:
                continue
            await svc.hub.to_user(seeker, [queued])
            conn = svc.hub.users.get(seeker)
            if conn is not None:
                svc.matchmaker.watch_position(sid, conn)
        await svc.matchmaker.kick()
        await svc.hub.broadcast({"k": "queue"})
