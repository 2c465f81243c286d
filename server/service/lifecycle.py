"""How sessions and connections end: ``leave``, ``feedback``, drops and grace periods.

- A seeker who drops keeps their session for a grace period; if they are not back, it ends
  (``seeker_gone``) and the helper is told.
- A helper who drops is not offered new seekers; if not back within the grace period, each of
  their seekers is told and put back at the front of the queue.
- A counselor who drops keeps their claim for a grace period, then the alert is raised again
  (``oncall``).

The grace periods are deadlines in Redis (``store.deadlines``), fired by the ``Sweeper``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from matching import MatchQueue

from ..core import frames, policy
from ..core.errors import NotInSession, SessionEnded
from ..core.participant import Participant
from ..store.deadlines import Deadlines
from ..store.health import unavailable
from ..store.presence import Presence
from ..store.sessions import SessionStore
from .ending import Ending
from .escalation import Escalation
from .events import ConnectionGone, Events, FeedbackGiven, QueueChanged
from .matchmaking import Matchmaking
from .metrics import Metrics
from .oncall import COUNSELOR_GONE, OnCall
from .ports import Delivery, Reply
from .refusals import refusal_for


@dataclass(frozen=True, slots=True)
class Departure:
    """Someone whose connection closed, and the sessions they were in."""

    uid: str
    role: str
    alias: str
    sessions: dict[str, str]

log = logging.getLogger("peerline.lifecycle")

SEEKER_GONE = "seeker_gone"
HELPER_GONE = "helper_gone"


class Lifecycle:
    def __init__(self, *, sessions: SessionStore, queue: MatchQueue, presence: Presence,
                 deadlines: Deadlines, delivery: Delivery, ending: Ending,
                 escalation: Escalation, matchmaking: Matchmaking, oncall: OnCall,
                 events: Events, metrics: Metrics, graces: policy.Graces) -> None:
        self.sessions = sessions
        self.queue = queue
        self.presence = presence
        self.deadlines = deadlines
        self.delivery = delivery
        self.ending = ending
        self.escalation = escalation
        self.matchmaking = matchmaking
        self.oncall = oncall
        self.events = events
        self.metrics = metrics
        self.graces = graces
        self._departures: dict[str, Departure] = {}
        """Clean-ups that failed while Redis was unreachable, by uid (retried by the sweeper)."""

    # -- frames ------------------------------------------------------------------------------

    async def leave(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        role = who.role_in(sid)
        if role is None:
            raise await refusal_for(self.sessions, who, sid)
        if role == "counselor":
            await self.escalation.counselor_leaves(who, reply, sid, ref)
            return
        session = await self.sessions.get(sid)
        reason = policy.leave_reason(session.state if session else None)
        if not await self.ending.end(sid, by=role, reason=reason, leaver=reply, ref=ref):
            raise SessionEnded("this session has ended")

    async def feedback(self, who: Participant, reply: Reply, sid: str, rating: int | None,
                       feeling: str | None, ref: str | None, mood: int | None = None) -> None:
        session = await self.sessions.get(sid)
        if session is None or session.seeker != who.uid:
            raise NotInSession("you are not in this session")
        if not session.ended:
            raise NotInSession("feedback is for a session that has ended")
        if not session.feedback:
            # Stored apart from the session, with no session id: statistics, not who said it.
            day = time.strftime("%Y-%m-%d", time.gmtime())
            await self.sessions.record_feedback(
                sid, f"{day}|{rating or ''}|{feeling or ''}|{session.topic}")
            await self.events.emit(FeedbackGiven(rating, feeling, mood))
        reply.send(frames.ack(sid, ref))

    # -- connections -------------------------------------------------------------------------

    async def reconnected(self, who: Participant) -> None:
        if who.role == "seeker":
            for sid in await self.sessions.sessions_of(who.uid):
                await self.deadlines.cancel(SEEKER_GONE, sid)
        elif who.role == "helper":
            await self.deadlines.cancel(HELPER_GONE, who.uid)
        elif who.role == "counselor":
            await self.deadlines.cancel(COUNSELOR_GONE, who.uid)

    async def disconnected(self, reply: Reply) -> None:
        """The socket closed. Called once per connection, whatever the reason.

        If Redis cannot be reached now, the clean-up waits in ``_departures`` and is retried
        by the sweeper (``retry_departures``) until it succeeds: a helper who left during an
        outage must not stay available for good (a ghost that seekers are matched to).
        """
        who = reply.who
        if not who.known:
            return
        self.metrics.connections.labels(who.role).dec()
        sessions = dict(who.sessions)
        if not self.delivery.unregister(reply):
            return  # replaced by a newer connection of the same person: nothing is lost
        await self._depart(Departure(who.uid, who.role, who.alias, sessions))

    async def _depart(self, departure: Departure) -> None:
        try:
            await self.presence.departed(departure.uid)
            await self.gone(departure.uid, departure.role, departure.sessions)
            await self.events.emit(ConnectionGone(departure.uid, departure.role, departure.alias,
                                                  departure.sessions))
        except Exception as exc:
            if unavailable(exc) is None:
                log.exception("clean-up after a disconnect failed; will retry")
            else:
                log.warning("redis unreachable during a disconnect; its clean-up will be retried")
            self._departures[departure.uid] = departure

    async def retry_departures(self) -> None:
        """A duty of the sweeper: finish the clean-ups that failed while Redis was away."""
        for uid, departure in list(self._departures.items()):
            del self._departures[uid]
            if self.delivery.find(uid) is not None:
                continue  # back on this process: nothing to clean up
            if await self.presence.location(uid) not in (None, self.presence.node):
                continue  # back on another process, which holds them now
            await self._depart(departure)

    async def gone(self, uid: str, role: str, sessions: dict[str, str]) -> None:
        """Someone's connection is gone (closed here, or its process died): start their grace.
        Raises when Redis cannot be reached (the caller retries)."""
        if role == "seeker":
            for sid in sessions:
                session = await self.sessions.get(sid)
                grace = policy.seeker_grace(session.state if session else None, self.graces)
                if grace is not None:
                    await self.deadlines.set(SEEKER_GONE, sid, grace)
        elif role == "helper":
            await self.queue.set_online(uid, False)
            grace = policy.helper_grace(len(await self.queue.helper_sessions(uid)),
                                        self.graces)
            if grace is not None:
                await self.deadlines.set(HELPER_GONE, uid, grace)
        elif role == "counselor":
            await self.oncall.counselor_offline(uid, sessions)

    # -- deadlines ---------------------------------------------------------------------------

    async def seeker_gone(self, sid: str) -> None:
        session = await self.sessions.get(sid)
        if session is None or session.ended:
            return
        if await self.presence.location(session.seeker):
            return  # back in time
        await self.ending.end(sid, by="server", reason="seeker_gone")

    async def helper_gone(self, helper: str) -> None:
        """The helper did not come back: their seekers go back to the front of the queue."""
        if await self.presence.location(helper):
            return
        for sid in await self.queue.helper_sessions(helper):
            session = await self.sessions.get(sid)
            if session is None or session.state != "active":
                continue
            if not await self.queue.requeue_front(sid, helper, session.lang or None,
                                                  session.topic or "other", session.created,
                                                  seeker=session.seeker):
                continue
            await self.sessions.requeued(sid)
            await self.sessions.forget_for(helper, sid)
            await self.delivery.to_session(
                sid, frames.participant(sid, "helper", session.helper_alias, False,
                                        "helper_gone"),
                roles=("seeker", "counselor"))
            try:
                queued = await self.matchmaking.queued_frame(sid)
            except SessionEnded:
                continue
            await self.delivery.to_user(session.seeker, [queued])
            reply = self.delivery.find(session.seeker)
            if reply is not None:
                self.matchmaking.watch_position(sid, reply)
        await self.events.emit(QueueChanged())
