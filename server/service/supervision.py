"""Supervision: a counselor watches over a peer's chat, coaches the helper, steps in.

- ``monitor``: read-only, any active session. The supervisor is not a member: the seeker's
  frames, ``welcome`` and replays are built from members only, so the seeker is never told.
  The helper is (``supervisor`` with ``watching``), as peer-support services do.
- ``whisper``: between the session's staff and its supervisors; kept in the staff log
  (``store.supervision``), never in the transcript, never delivered to a seeker.
- ``note``: a staff-only note kept with the session, for its staff and supervisors.
- ``join`` / ``takeover`` from monitoring: the supervisor stops watching and joins openly
  (``Escalation.join``), then may take over.
"""

from __future__ import annotations

import logging

from ..core import frames
from ..core.errors import Conflict, Forbidden, NotInSession, SessionEnded
from ..core.participant import MONITOR, Participant
from ..core.protocol import Note, Whisper
from ..store.sessions import SessionStore
from ..store.supervision import SupervisionStore
from .escalation import Escalation
from .events import ConnectionGone, Events
from .ports import Delivery, Reply
from .refusals import refusal_for

log = logging.getLogger("peerline.supervision")

STAFF_AND_SUPERVISORS = ("helper", "counselor", MONITOR)


class Supervision:
    def __init__(self, *, sessions: SessionStore, store: SupervisionStore,
                 escalation: Escalation, delivery: Delivery, events: Events) -> None:
        self.sessions = sessions
        self.store = store
        self.escalation = escalation
        self.delivery = delivery
        events.on(ConnectionGone, self._gone)

    # -- watching ---------------------------------------------------------------------------

    async def monitor(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        session = await self.sessions.get(sid)
        if session is None:
            raise NotInSession("no such session")
        if session.ended:
            raise SessionEnded("this session has ended")
        if session.state != "active":
            raise Conflict("this session is still waiting for a helper")
        if who.uid in session.members.values():
            raise Conflict("you are already in this session")
        new = await self.store.add_monitor(sid, who.uid, who.alias)
        # Where the supervisor is connected, in the session's hash: its messages reach them.
        await self.sessions.locate(sid, [who.uid])
        # Live frames that arrive while the transcript is read are held, so `monitoring` comes
        # first and no message is delivered twice (as with `joined`).
        reply.hold()
        try:
            self.delivery.join(reply, sid, MONITOR)
            transcript = await self.sessions.messages(sid, for_staff=True)
            staff_log = await self.store.log(sid)
        except BaseException:
            reply.release([], {})
            raise
        peers = [frames.peer(r, session.alias_of(r)) for r in ("seeker", "helper", "counselor")
                 if session.members[r]]
        reply.release([frames.monitoring(sid, transcript, staff_log, peers, session.state,
                                         session.topic or None, ref)],
                      {sid: transcript[-1]["seq"]} if transcript else {})
        if new:
            await self.delivery.to_session(sid, frames.supervisor(sid, who.alias, True),
                                           roles=("helper",))
            await self.escalation.audit("monitor", session.alert, session=sid, by=who.uid)

    async def unmonitor(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        if who.role_in(sid) != MONITOR:
            raise NotInSession("you are not watching this session")
        self.delivery.part(reply, sid)
        reply.send(frames.with_ref({"type": "unmonitored", "session": sid}, ref))
        await self._stop(sid, who.uid, who.alias)

    async def _stop(self, sid: str, uid: str, alias: str) -> None:
        try:
            removed = await self.store.remove_monitor(sid, uid)
        except NotInSession:
            return  # the session has expired: nobody is left to tell
        if removed:
            await self.delivery.to_session(sid, frames.supervisor(sid, alias, False),
                                           roles=("helper",))
            await self.escalation.audit("unmonitor", "", session=sid, by=uid)

    async def _gone(self, event: ConnectionGone) -> None:
        """A supervisor's connection is gone: they stop watching (and the helper is told)."""
        for sid, role in event.sessions.items():
            if role == MONITOR:
                await self._stop(sid, event.uid, event.alias)

    # -- stepping in ------------------------------------------------------------------------

    async def join(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        """Join openly (``Escalation.join``); a supervisor who was watching stops watching."""
        if who.role_in(sid) == MONITOR:
            self.delivery.part(reply, sid)
            await self._stop(sid, who.uid, who.alias)
        await self.escalation.join(who, reply, sid, ref)

    async def takeover(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        """Take over; from monitoring, join first (the answer is ``joined``, then
        ``taken_over``)."""
        if who.role_in(sid) == MONITOR:
            await self.join(who, reply, sid, None)
        await self.escalation.takeover(who, reply, sid, ref)

    # -- staff-only words -------------------------------------------------------------------

    async def whisper(self, who: Participant, reply: Reply, frame: Whisper) -> None:
        sid = frame.session
        await self._check_staff(who, sid)
        text = frame.text.strip()
        entry = await self.store.append(sid, "whisper", who.role, who.alias, text)
        reply.send(frames.whisper_ack(sid, entry.id, entry.ts, text, frame.ref))
        await self.delivery.to_session(
            sid, frames.staff_entry("whisper", sid, entry.id, who.role, who.alias, text,
                                    entry.ts),
            roles=STAFF_AND_SUPERVISORS, exclude=who.uid)

    async def note(self, who: Participant, reply: Reply, frame: Note) -> None:
        sid = frame.session
        await self._check_staff(who, sid)
        text = frame.text.strip()
        entry = await self.store.append(sid, "note", who.role, who.alias, text)
        note = frames.staff_entry("note", sid, entry.id, who.role, who.alias, text, entry.ts)
        reply.send(frames.with_ref(dict(note), frame.ref))
        await self.delivery.to_session(sid, note, roles=STAFF_AND_SUPERVISORS, exclude=who.uid)

    async def _check_staff(self, who: Participant, sid: str) -> None:
        """The sender is staff in the session (or watching it), and it has not ended."""
        role = who.role_in(sid)
        if role is None:
            raise await refusal_for(self.sessions, who, sid)
        if role == "seeker":
            raise Forbidden("staff only")
        session = await self.sessions.get(sid)
        if session is None:
            raise NotInSession("no such session")
        if session.ended:
            raise SessionEnded("this session has ended")
        here = (who.uid in session.monitors if role == MONITOR
                else session.members.get(role) == who.uid)
        if not here:
            raise await refusal_for(self.sessions, who, sid)
