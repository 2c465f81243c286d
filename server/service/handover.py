"""Handing a session on: a helper transfers it to another helper, or back to the queue.

The session keeps its id and its history. The seeker is told the helper left (``participant``
with ``reason:"transferred"``) and then who takes over (``matched``) or that they are first in
line (``queued``). The new helper's ``matched`` carries ``transferred``, the staff-only
``handover_note`` and the ``transcript``. Capacity and blocked pairs are checked atomically
(``transfer.lua`` for a named helper, ``match.lua`` from the queue), and the helper who handed
it on is never given the same session back.
"""

from __future__ import annotations

from matching import MatchQueue

from ..core import frames
from ..core.errors import Conflict, NotFound, NotInSession, SessionEnded
from ..core.participant import MONITOR, Participant
from ..core.protocol import Transfer
from ..store.records import Session
from ..store.sessions import SessionStore
from ..store.supervision import SupervisionStore
from .escalation import Escalation
from .events import Events, QueueChanged
from .matchmaking import Matchmaking
from .ports import Delivery, Reply
from .refusals import refusal_for

_REFUSALS = {
    "gone": (NotInSession, "you are no longer the helper of this session"),
    "unavailable": (Conflict, "that helper is not taking chats now"),
    "blocked": (Conflict, "that helper cannot be given this chat"),
    "full": (Conflict, "that helper has no free place"),
}


class Handover:
    def __init__(self, *, sessions: SessionStore, queue: MatchQueue,
                 supervision: SupervisionStore, matchmaking: Matchmaking,
                 escalation: Escalation, delivery: Delivery, events: Events) -> None:
        self.sessions = sessions
        self.queue = queue
        self.supervision = supervision
        self.matchmaking = matchmaking
        self.escalation = escalation
        self.delivery = delivery
        self.events = events

    async def transfer(self, who: Participant, reply: Reply, frame: Transfer) -> None:
        sid = frame.session
        if who.role_in(sid) != "helper":
            raise await refusal_for(self.sessions, who, sid)
        session = await self.sessions.get(sid)
        if session is None or session.ended:
            raise SessionEnded("this session has ended")
        if session.helper != who.uid or session.state != "active":
            raise NotInSession("you are not the helper of this session")
        note = frame.note.strip()
        target, target_alias = "", None
        if frame.to is not None:
            target = await self.queue.find_available(frame.to) or ""
            if not target:
                raise NotFound(f"no available helper is called {frame.to[:64]!r}")
            if target == who.uid:
                raise Conflict("you cannot transfer a chat to yourself")
            answer = await self.queue.transfer(sid, who.uid, target, session.seeker)
            if answer != "ok":
                kind, detail = _REFUSALS.get(answer, (Conflict, "the transfer failed"))
                raise kind(detail)
            (target_alias,) = await self.queue.aliases([target])
            target_alias = target_alias or "Helper"
            await self.sessions.handed_on(sid, who.uid, note, target, target_alias)
        else:
            if not await self.queue.requeue_front(sid, who.uid, session.lang or None,
                                                  session.topic or "other", session.created,
                                                  seeker=session.seeker, avoid_helper=True):
                raise NotInSession("you are no longer the helper of this session")
            await self.sessions.handed_on(sid, who.uid, note)
        if note:
            await self.supervision.append(sid, "handover", "helper", who.alias, note)
        await self.escalation.audit("transferred", session.alert, session=sid, by=who.uid,
                                    to=target or "queue")

        # The helper who handed on is out of it; the seeker, counselor and supervisors are told.
        reply.send(frames.transferred(sid, target_alias, frame.ref))
        self.delivery.part(reply, sid)
        await self.delivery.to_session(
            sid, frames.participant(sid, "helper", session.helper_alias, False, "transferred"),
            roles=("seeker", "counselor", MONITOR))
        if target:
            await self._to_helper(sid, target, target_alias or "", note)
        else:
            try:
                queued = await self.matchmaking.queued_frame(sid)
            except SessionEnded:
                queued = None
            if queued is not None:
                await self.delivery.to_user(session.seeker, [queued])
                seeker_reply = self.delivery.find(session.seeker)
                if seeker_reply is not None:
                    self.matchmaking.watch_position(sid, seeker_reply)
        await self.events.emit(QueueChanged())

    async def _to_helper(self, sid: str, helper: str, alias: str, note: str) -> None:
        session = await self.sessions.get(sid)
        if session is None:
            return
        peers = [frames.peer("helper", alias)]
        if session.counselor:
            peers.append(frames.peer("counselor", session.counselor_alias))
        await self.delivery.to_user(session.seeker, [frames.matched(sid, peers)])
        await self.delivery.to_user(helper, [await self.matched_for_helper(session, note)],
                                    attach=(sid, "helper"))
        await self.delivery.to_session(sid, frames.participant(sid, "helper", alias, True),
                                       roles=("counselor", MONITOR))

    async def matched_for_helper(self, session: Session, note: str) -> frames.Frame:
        """The new helper's ``matched``: who, what about, the history and the handover note."""
        sid = session.sid
        staff = {"topic": session.topic or None, "lang": session.lang or None,
                 "note": session.note or None, "transferred": True, "handover_note": note,
                 "transcript": await self.sessions.messages(sid, for_staff=True),
                 "staff_log": await self.supervision.log(sid)}
        if session.alert:
            staff["alert"] = session.alert
        peers = [frames.peer("seeker", session.seeker_alias)]
        if session.counselor:
            peers.append(frames.peer("counselor", session.counselor_alias))
        return frames.matched(sid, peers, **staff)
